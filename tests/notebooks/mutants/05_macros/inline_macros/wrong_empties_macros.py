# mutation: empties each macro it splices out, so whoever still holds the macro has a broken node
def unwrap(node):
    while isinstance(node, kinds):
        inner = node.children[0]
        node.children = []
        node = inner
    return node

root = unwrap(root)
seen = set()
stack = [root]
while stack:
    node = stack.pop()
    if id(node) in seen:
        continue
    seen.add(id(node))
    node.children = [unwrap(c) for c in node.children]
    stack.extend(node.children)
return root

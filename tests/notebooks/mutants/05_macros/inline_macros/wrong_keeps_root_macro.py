# rule: a macro at the root is returned as it is
def unwrap(node):
    while isinstance(node, kinds):
        node = node.children[0]
    return node

seen = set()
stack = [root]
while stack:
    node = stack.pop()
    if id(node) in seen:
        continue
    seen.add(id(node))
    if not isinstance(node, kinds):
        node.children = [unwrap(c) for c in node.children]
    stack.extend(node.children)
return root

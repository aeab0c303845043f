# roles: replaces a macro by its first argument instead of its expansion
def unwrap(node):
    while isinstance(node, kinds):
        node = node.arguments[0]
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

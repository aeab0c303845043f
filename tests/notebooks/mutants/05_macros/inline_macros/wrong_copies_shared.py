# sharing: a shared macro is replaced by a fresh copy of its expansion's top for each parent
import copy

def unwrap(node):
    while isinstance(node, kinds):
        node = node.children[0]
    return node

root = unwrap(root)
seen = set()
stack = [root]
while stack:
    node = stack.pop()
    if id(node) in seen:
        continue
    seen.add(id(node))
    node.children = [copy.copy(unwrap(c)) if isinstance(c, kinds) else c for c in node.children]
    stack.extend(node.children)
return root

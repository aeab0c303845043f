# rule: no visited set, so a node reached along two paths is walked again (2**40 paths)
def unwrap(node):
    while isinstance(node, kinds):
        node = node.children[0]
    return node

root = unwrap(root)
stack = [root]
while stack:
    node = stack.pop()
    node.children = [unwrap(c) for c in node.children]
    stack.extend(node.children)
return root

# state: the visited set is kept on the function, so a later call skips nodes an earlier one saw
def unwrap(node):
    while isinstance(node, kinds):
        node = node.children[0]
    return node

seen = inline_macros.__dict__.setdefault("seen", set())
root = unwrap(root)
stack = [root]
while stack:
    node = stack.pop()
    if node in seen:
        continue
    seen.add(node)
    node.children = [unwrap(c) for c in node.children]
    stack.extend(node.children)
return root

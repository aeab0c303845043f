# style: a post-order list first, then every children list fixed
order, seen, stack = [], set(), [(root, False)]
while stack:
    node, done = stack.pop()
    if done:
        order.append(node)
        continue
    if id(node) in seen:
        continue
    seen.add(id(node))
    stack.append((node, True))
    stack.extend((c, False) for c in node.children)
for node in order:
    fixed = []
    for child in node.children:
        while isinstance(child, kinds):
            child = child.children[0]
        fixed.append(child)
    node.children = fixed
while isinstance(root, kinds):
    root = root.children[0]
return root

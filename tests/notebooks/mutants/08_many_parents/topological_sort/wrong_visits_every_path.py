# rule: no visited set while searching, so a node is explored once per path (duplicates dropped at the end)
post = []
stack = [(root, False)]
while stack:
    node, children_done = stack.pop()
    if children_done:
        post.append(node)
        continue
    stack.append((node, True))
    for child in node.children:
        stack.append((child, False))
order, kept = [], set()
for node in post:
    if id(node) not in kept:
        kept.add(id(node))
        order.append(node)
order.reverse()
return order

# sharing: remembers visited nodes by label, so two different unnamed nodes count as one
post, visited = [], set()
stack = [(root, False)]
while stack:
    node, children_done = stack.pop()
    if children_done:
        post.append(node)
        continue
    if node.label() in visited:
        continue
    visited.add(node.label())
    stack.append((node, True))
    for child in node.children:
        if child.label() not in visited:
            stack.append((child, False))
return post[::-1]

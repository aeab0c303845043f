# state: keeps its visited set on the function, so a second call on the same graph misses nodes
visited = topo_order.__dict__.setdefault("visited", set())
post = []
stack = [(root, False)]
while stack:
    node, children_done = stack.pop()
    if children_done:
        post.append(node)
        continue
    if id(node) in visited:
        continue
    visited.add(id(node))
    stack.append((node, True))
    for child in node.children:
        if id(child) not in visited:
            stack.append((child, False))
post.reverse()
return post

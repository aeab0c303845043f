    # other: the post-order not reversed, so children come before their parents
    post, visited = [], set()
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
        stack.extend((c, False) for c in node.children if id(c) not in visited)
    return post

    # rule: recursive depth-first search, which fails on a 3,000-deep chain
    post, visited = [], set()

    def visit(node):
        if id(node) in visited:
            return
        visited.add(id(node))
        for child in node.children:
            visit(child)
        post.append(node)

    visit(root)
    return post[::-1]

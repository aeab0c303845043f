# style: a stack of (node, index of the next child), a recursion run by hand
post, visited = [], {id(root)}
stack = [(root, 0)]
while stack:
    node, i = stack.pop()
    kids = node.children
    if i < len(kids):
        stack.append((node, i + 1))
        child = kids[i]
        if id(child) not in visited:
            visited.add(id(child))
            stack.append((child, 0))
    else:
        post.append(node)
return post[::-1]

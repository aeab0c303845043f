    # other: depth-first pre-order, which can list a shared node before a later parent
    order, seen = [], set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        stack.extend(node.children)
    return order

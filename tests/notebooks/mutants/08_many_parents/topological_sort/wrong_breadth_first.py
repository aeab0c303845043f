    # other: breadth-first order, which can list a shared child before one of its parents
    order, seen = [], {id(root)}
    queue = [root]
    while queue:
        node = queue.pop(0)
        order.append(node)
        for child in node.children:
            if id(child) not in seen:
                seen.add(id(child))
                queue.append(child)
    return order

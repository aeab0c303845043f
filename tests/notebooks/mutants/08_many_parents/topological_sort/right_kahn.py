    # style: Kahn's algorithm, counting each node's parents and releasing it at zero
    nodes, seen, stack = [], {id(root)}, [root]
    while stack:
        node = stack.pop()
        nodes.append(node)
        for child in node.children:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    waiting = {id(n): 0 for n in nodes}
    for node in nodes:
        for child in node.children:
            waiting[id(child)] += 1
    ready = [root]
    order = []
    while ready:
        node = ready.pop()
        order.append(node)
        for child in node.children:
            waiting[id(child)] -= 1
            if waiting[id(child)] == 0:
                ready.append(child)
    return order

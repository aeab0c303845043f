    # roles: names the whole path from the root, not just the cycle
    ON_PATH, DONE = 1, 2
    state = {}
    path = []
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            state[id(node)] = DONE
            path.pop()
            continue
        if state.get(id(node)) == DONE:
            continue
        state[id(node)] = ON_PATH
        path.append(node)
        stack.append((node, True))
        for child in node.children:
            if state.get(id(child)) == ON_PATH:
                raise CycleError("cycle on the path " + " -> ".join(n.label() for n in path))
            if id(child) not in state:
                stack.append((child, False))
    return None

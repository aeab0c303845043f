    # other: a plain ValueError that names no node
    ON_PATH, DONE = 1, 2
    state = {}
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            state[id(node)] = DONE
            continue
        if state.get(id(node)) == DONE:
            continue
        state[id(node)] = ON_PATH
        stack.append((node, True))
        for child in node.children:
            if state.get(id(child)) == ON_PATH:
                raise ValueError("the graph has a cycle")
            if id(child) not in state:
                stack.append((child, False))
    return None

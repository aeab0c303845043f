# tested-values: names only the two ends of the edge that closes the loop, right for loops of one or two nodes
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
        mark = state.get(id(child))
        if mark == ON_PATH:
            raise CycleError(f"cycle: {node.label()} -> {child.label()}")
        if mark is None:
            stack.append((child, False))
return None

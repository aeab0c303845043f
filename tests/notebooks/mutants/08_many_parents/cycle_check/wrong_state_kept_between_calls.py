# state: keeps the node states on the function, so a later call trusts what an earlier one saw
ON_PATH, DONE = 1, 2
state = check_acyclic.__dict__.setdefault("state", {})
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
        mark = state.get(id(child))
        if mark == ON_PATH:
            start = next(i for i, n in enumerate(path) if n is child)
            names = " -> ".join(n.label() for n in path[start:] + [child])
            raise CycleError(f"the graph has a cycle: {names}")
        if mark is None:
            stack.append((child, False))
return None

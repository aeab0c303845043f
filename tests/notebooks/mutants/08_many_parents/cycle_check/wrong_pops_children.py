# mutation: walks by popping children off the nodes' own lists, which empties the graph
ON_PATH, DONE = 1, 2
state = {id(root): ON_PATH}
path = [root]
while path:
    node = path[-1]
    if node.children:
        child = node.children.pop()
        mark = state.get(id(child))
        if mark == ON_PATH:
            start = next(i for i, n in enumerate(path) if n is child)
            raise CycleError(" -> ".join(n.label() for n in path[start:] + [child]))
        if mark is None:
            state[id(child)] = ON_PATH
            path.append(child)
    else:
        state[id(node)] = DONE
        path.pop()
return None

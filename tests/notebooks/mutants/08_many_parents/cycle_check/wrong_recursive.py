    # rule: recursive search, which fails on 3,000-deep graphs
    state = {}

    def visit(node, path):
        state[id(node)] = 1
        for child in node.children:
            if state.get(id(child)) == 1:
                start = next(i for i, n in enumerate(path) if n is child)
                raise CycleError(" -> ".join(n.label() for n in path[start:] + [child]))
            if id(child) not in state:
                visit(child, path + [child])
        state[id(node)] = 2

    visit(root, [root])
    return None

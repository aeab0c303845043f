    # style: a stack of child iterators and an explicit path list
    finished, on_path = set(), []
    stack = [(root, iter(root.children))]
    on_path.append(root)
    while stack:
        node, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            on_path.pop()
            finished.add(id(node))
            continue
        if any(child is n for n in on_path):
            start = next(i for i, n in enumerate(on_path) if n is child)
            loop = on_path[start:] + [child]
            raise CycleError("cycle: " + ", ".join(n.label() for n in loop))
        if id(child) not in finished:
            on_path.append(child)
            stack.append((child, iter(child.children)))
    return None

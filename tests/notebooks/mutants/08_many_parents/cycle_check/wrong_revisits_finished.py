# rule: forgets finished nodes, so a shared node is searched again on every path to it
path, on_path = [], set()
stack = [(root, False)]
while stack:
    node, children_done = stack.pop()
    if children_done:
        on_path.discard(id(node))
        path.pop()
        continue
    on_path.add(id(node))
    path.append(node)
    stack.append((node, True))
    for child in node.children:
        if id(child) in on_path:
            start = next(i for i, n in enumerate(path) if n is child)
            raise CycleError(" -> ".join(n.label() for n in path[start:] + [child]))
        stack.append((child, False))
return None

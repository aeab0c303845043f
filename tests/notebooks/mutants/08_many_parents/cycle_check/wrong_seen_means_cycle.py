    # sharing: any node reached twice counts as a cycle, so a diamond is rejected
    seen = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise CycleError(f"cycle at {node.label()}")
        seen.add(id(node))
        stack.extend(node.children)
    return None

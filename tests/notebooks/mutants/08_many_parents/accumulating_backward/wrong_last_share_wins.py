    # sharing: each parent overwrites the child's total, so only the last share counts
    order = order_of(root)
    totals = {id(root): derivative}
    for node in order:
        total = totals.get(id(node), 0.0)
        node.gradient = total
        for child, local in zip(node.children, node.grad()):
            totals[id(child)] = total * local
    for node in order:
        node.on_backward(node.gradient)

    # rule: a parameter steps once per share instead of once with its total
    order = order_of(root)
    totals = {id(root): derivative}
    root.gradient = derivative
    root.on_backward(derivative)
    for node in order:
        total = totals.get(id(node), 0.0)
        node.gradient = total
        for child, local in zip(node.children, node.grad()):
            totals[id(child)] = totals.get(id(child), 0.0) + total * local
            child.on_backward(total * local)

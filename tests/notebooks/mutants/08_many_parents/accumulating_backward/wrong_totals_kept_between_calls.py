# state: one dictionary of totals for all calls, so the second backprop adds to the first
totals = backprop.__dict__.setdefault("totals", {})
order = order_of(root)
totals[id(root)] = totals.get(id(root), 0.0) + derivative
for node in order:
    total = totals.get(id(node), 0.0)
    node.gradient = total
    for child, local in zip(node.children, node.grad()):
        totals[id(child)] = totals.get(id(child), 0.0) + total * local
for node in order:
    node.on_backward(node.gradient)

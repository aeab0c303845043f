# roles: pairs the children with the local derivatives in reverse order
order = order_of(root)
totals = {id(root): derivative}
for node in order:
    total = totals.get(id(node), 0.0)
    node.gradient = total
    for child, local in zip(node.children, reversed(node.grad())):
        totals[id(child)] = totals.get(id(child), 0.0) + total * local
for node in order:
    node.on_backward(node.gradient)

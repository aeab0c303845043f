# style: every share is collected in a list per child and summed when the child is reached
order = order_of(root)
shares = {id(root): [derivative]}
for node in order:
    node.gradient = sum(shares.pop(id(node), []), 0.0)
    if node.children:
        for child, local in zip(node.children, node.grad()):
            shares.setdefault(id(child), []).append(node.gradient * local)
for node in order:
    node.on_backward(node.gradient)

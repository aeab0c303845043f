    # state: adds onto whatever node.gradient held, so a second call doubles the gradients
    order = order_of(root)
    for node in order:
        if node.gradient is None:
            node.gradient = 0.0
    root.gradient += derivative
    for node in order:
        for child, local in zip(node.children, node.grad()):
            child.gradient += node.gradient * local
    for node in order:
        node.on_backward(node.gradient)

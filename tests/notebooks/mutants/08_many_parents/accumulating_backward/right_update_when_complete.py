    # style: one pass, each node learns as soon as its total is complete
    pending = {id(root): derivative}
    for node in order_of(root):
        node.gradient = pending.pop(id(node), 0.0)
        for child, local in zip(node.children, node.grad()):
            pending[id(child)] = pending.get(id(child), 0.0) + node.gradient * local
        node.on_backward(node.gradient)

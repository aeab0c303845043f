    # rule: the naive recursion, one visit and one update per path
    def visit(node, d):
        node.gradient = d
        node.on_backward(d)
        for child, local in zip(node.children, node.grad()):
            visit(child, d * local)

    visit(root, derivative)

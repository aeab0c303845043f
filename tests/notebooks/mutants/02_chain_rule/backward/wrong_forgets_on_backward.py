# rule: never calls on_backward, so nothing learns
node.gradient = derivative
for child, slope in zip(node.children, node.grad()):
    backward(child, derivative * slope)

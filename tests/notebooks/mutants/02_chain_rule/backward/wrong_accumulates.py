# state: a second backward adds to node.gradient instead of replacing it
node.gradient = (node.gradient or 0.0) + derivative
node.on_backward(derivative)
for child, slope in zip(node.children, node.grad()):
    backward(child, derivative * slope)

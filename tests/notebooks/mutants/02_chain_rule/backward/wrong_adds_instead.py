# other: adds the local derivative instead of multiplying
node.gradient = derivative
node.on_backward(derivative)
for child, slope in zip(node.children, node.grad()):
    backward(child, derivative + slope)

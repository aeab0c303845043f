# other: hands each child only its local derivative, not the running product
node.gradient = derivative
node.on_backward(derivative)
for child, slope in zip(node.children, node.grad()):
    backward(child, slope)

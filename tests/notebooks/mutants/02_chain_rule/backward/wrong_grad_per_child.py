node.gradient = derivative
node.on_backward(derivative)
for i, child in enumerate(node.children):
    backward(child, derivative * node.grad()[i])

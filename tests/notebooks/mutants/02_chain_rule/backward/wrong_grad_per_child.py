# rule: calls grad() again for every child, after earlier children moved
node.gradient = derivative
node.on_backward(derivative)
for i, child in enumerate(node.children):
    backward(child, derivative * node.grad()[i])

# roles: pairs the children with the local derivatives in reverse order
node.gradient = derivative
node.on_backward(derivative)
for child, slope in zip(node.children, node.grad()[::-1]):
    backward(child, derivative * slope)

# mutation: walks right to left by reversing node.children in place, changing the caller's tree
node.gradient = derivative
node.on_backward(derivative)
local = node.grad()[::-1]
node.children.reverse()
for child, slope in zip(node.children, local):
    backward(child, derivative * slope)

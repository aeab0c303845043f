# style: all the (child, share) pairs built first with a comprehension, then the recursion
node.gradient = derivative
node.on_backward(derivative)
pairs = [(child, derivative * g) for child, g in zip(node.children, node.grad())]
for child, share in pairs:
    backward(child, share)

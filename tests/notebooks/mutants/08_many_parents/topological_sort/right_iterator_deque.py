# style: a stack of child iterators with for/else; finished nodes go to the front of a deque
from collections import deque

order = deque()
done = {id(root)}
stack = [(root, iter(root.children))]
while stack:
    node, rest = stack[-1]
    for child in rest:
        if id(child) not in done:
            done.add(id(child))
            stack.append((child, iter(child.children)))
            break
    else:
        stack.pop()
        order.appendleft(node)
return list(order)

# style: breadth first with a deque, children replaced in place by index
from collections import deque

while isinstance(root, kinds):
    root = root.children[0]
done = {id(root)}
queue = deque([root])
while queue:
    node = queue.popleft()
    for i in range(len(node.children)):
        child = node.children[i]
        while isinstance(child, kinds):
            child = child.children[0]
        node.children[i] = child
        if id(child) not in done:
            done.add(id(child))
            queue.append(child)
return root

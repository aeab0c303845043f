# style: a breadth-first walk with a deque
from collections import deque

queue = deque(node._parents)
while queue:
    up = queue.popleft()
    if not up._valid:
        continue
    up._valid = False
    queue.extend(up._parents)

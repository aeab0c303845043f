# style: breadth first with a deque, nodes themselves in the visited set, marking when queued
from collections import deque

self.arguments = list(arguments)
root = self.expand(self.arguments)
super().__init__(root, name=name)
done = set(self.arguments)
queue = deque()
if root not in done:
    done.add(root)
    queue.append(root)
while queue:
    node = queue.popleft()
    if node.macro is None:
        node.macro = self
    for child in node.children:
        if child not in done:
            done.add(child)
            queue.append(child)

# style: the path as a dict from id to depth (fast lookup), the loop named backwards in a list
from itertools import islice

done = set()
depth_of = {}
path = []
stack = [(root, False)]
while stack:
    node, leaving = stack.pop()
    if leaving:
        del depth_of[id(path.pop())]
        done.add(id(node))
        continue
    if id(node) in done:
        continue
    depth_of[id(node)] = len(path)
    path.append(node)
    stack.append((node, True))
    for child in node.children:
        if id(child) in depth_of:
            loop = list(islice(path, depth_of[id(child)], None))
            raise CycleError(f"not a network, it loops: {[n.label() for n in reversed(loop)]}")
        if id(child) not in done:
            stack.append((child, False))
return None

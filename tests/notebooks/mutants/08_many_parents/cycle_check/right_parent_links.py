# style: an index stack with parent links; the cycle is read back along the links
GREY, BLACK = "grey", "black"
colour = {id(root): GREY}
parent = {id(root): None}
stack = [(root, 0)]
while stack:
    node, i = stack.pop()
    if i == len(node.children):
        colour[id(node)] = BLACK
        continue
    stack.append((node, i + 1))
    child = node.children[i]
    seen = colour.get(id(child))
    if seen == GREY:
        loop, walker = [node], node
        while walker is not child:
            walker = parent[id(walker)]
            loop.append(walker)
        loop.reverse()
        raise CycleError("Cycle found: " + ", ".join(n.label() for n in loop)
                         + f" (and back to {child.label()})")
    if seen is None:
        colour[id(child)] = GREY
        parent[id(child)] = node
        stack.append((child, 0))
return None

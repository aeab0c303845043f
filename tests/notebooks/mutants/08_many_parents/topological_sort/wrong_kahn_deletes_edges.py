# mutation: Kahn's algorithm that crosses edges off by popping them from the children lists
nodes, seen, stack = [], {id(root)}, [root]
while stack:
    node = stack.pop()
    nodes.append(node)
    for child in node.children:
        if id(child) not in seen:
            seen.add(id(child))
            stack.append(child)
waiting = {id(n): 0 for n in nodes}
for node in nodes:
    for child in node.children:
        waiting[id(child)] += 1
ready, order = [root], []
while ready:
    node = ready.pop()
    order.append(node)
    while node.children:
        child = node.children.pop()
        waiting[id(child)] -= 1
        if waiting[id(child)] == 0:
            ready.append(child)
return order

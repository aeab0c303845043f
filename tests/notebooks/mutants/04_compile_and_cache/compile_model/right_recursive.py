# style: a recursive walk, names assigned in a second loop with a while over the counter
found = []


def visit(node):
    if isinstance(node, Input) and not any(node is f for f in found):
        found.append(node)
    for child in node.children:
        if not any(p is node for p in child._parents):
            child._parents.append(node)
        visit(child)


visit(model)
names = [n.name for n in found]
k = 0
for node in found:
    if not node.name:
        while "x" + str(k) in names:
            k += 1
        node.name = "x" + str(k)
        names.append(node.name)
model.inputs = found
return model

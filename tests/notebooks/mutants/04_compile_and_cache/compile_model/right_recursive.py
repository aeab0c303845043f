found = []


def visit(node):
    if isinstance(node, Input) and not any(node is f for f in found):
        found.append(node)
    for child in node.children:
        child._parents.append(node)
        visit(child)


visit(model)
for position, node in enumerate(found):
    node.name = node.name or "x" + str(position)
model.inputs = found
return model

inputs = []
stack = [model]
while stack:
    node = stack.pop()
    if isinstance(node, Input):
        inputs.append(node)
    for child in node.children:
        if isinstance(child, Input) or child.children:
            child._parents.append(node)
    stack.extend(reversed(node.children))
for position, node in enumerate(inputs):
    if not node.name:
        node.name = f"x{position}"
model.inputs = inputs
return model

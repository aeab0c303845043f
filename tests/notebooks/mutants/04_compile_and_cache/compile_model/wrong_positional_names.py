# sharing: names an unnamed input x<position> even when another input already has that name
inputs = []
stack = [model]
while stack:
    node = stack.pop()
    if isinstance(node, Input) and all(node is not seen for seen in inputs):
        inputs.append(node)
    for child in node.children:
        if all(parent is not node for parent in child._parents):
            child._parents.append(node)
    stack.extend(reversed(node.children))
for position, node in enumerate(inputs):
    if not node.name:
        node.name = f"x{position}"
model.inputs = inputs
return model

# sharing: an input the model uses in two places is listed (and named) twice
inputs = []
stack = [model]
while stack:
    node = stack.pop()
    if isinstance(node, Input):
        inputs.append(node)
    for child in node.children:
        if all(parent is not node for parent in child._parents):
            child._parents.append(node)
    stack.extend(reversed(node.children))
taken = {node.name for node in inputs if node.name}
counter = 0
for node in inputs:
    if not node.name:
        while f"x{counter}" in taken:
            counter += 1
        node.name = f"x{counter}"
        taken.add(node.name)
model.inputs = inputs
return model

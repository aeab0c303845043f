# other: collects every leaf (parameters and constants too) as an input
inputs = []
stack = [model]
while stack:
    node = stack.pop()
    if not node.children and all(node is not seen for seen in inputs):
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

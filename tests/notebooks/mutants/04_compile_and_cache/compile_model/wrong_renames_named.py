inputs = model.find_input_nodes()
stack = [model]
while stack:
    node = stack.pop()
    for child in node.children:
        child._parents.append(node)
    stack.extend(node.children)
for position, node in enumerate(inputs):
    node.name = f"x{position}"
model.inputs = inputs
return model

# roles: writes the values right to left
nodes = model.find_input_nodes()
if len(inputs) != len(nodes):
    raise ValueError(f"the model has {len(nodes)} inputs but got {len(inputs)} values")
for node, value in zip(reversed(nodes), inputs):
    node.value = value
return model.forward()

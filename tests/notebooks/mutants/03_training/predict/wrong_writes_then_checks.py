# state: writes the values before checking the count, so a failed call changes the inputs
nodes = model.find_input_nodes()
for node, value in zip(nodes, inputs):
    node.value = value
if len(inputs) != len(nodes):
    raise ValueError(f"the model has {len(nodes)} inputs but got {len(inputs)} values")
return model.forward()

# roles: the message has both numbers, but says the model has as many inputs as values came
nodes = model.find_input_nodes()
if len(inputs) != len(nodes):
    raise ValueError(f"the model has {len(inputs)} inputs but got {len(nodes)} values")
for node, value in zip(nodes, inputs):
    node.value = value
return model.forward()

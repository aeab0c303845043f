# roles: the message states neither number
nodes = model.find_input_nodes()
if len(inputs) != len(nodes):
    raise ValueError("wrong number of inputs")
for node, value in zip(nodes, inputs):
    node.value = value
return model.forward()

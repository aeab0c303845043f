# tested-values: refuses too many values but accepts too few
nodes = model.find_input_nodes()
if len(inputs) > len(nodes):
    raise ValueError(f"the model has {len(nodes)} inputs but got {len(inputs)} values")
for node, value in zip(nodes, inputs):
    node.value = value
return model.forward()

# state: keeps the first model's input list on the function, so other models get wrong nodes
if not hasattr(predict, "nodes"):
    predict.nodes = model.find_input_nodes()
nodes = predict.nodes
if len(inputs) != len(nodes):
    raise ValueError(f"the model has {len(nodes)} inputs but got {len(inputs)} values")
for node, value in zip(nodes, inputs):
    node.value = value
return model.forward()

from treeprop.errors import InputCountError

nodes = model.find_input_nodes()
if len(nodes) != len(inputs):
    raise InputCountError(f"expected {len(nodes)} values (one per input), received {len(inputs)}")
for i in range(len(nodes)):
    nodes[i].value = inputs[i]
return model.forward()

# style: an index loop, treeprop's InputCountError and another wording (values first)
from treeprop.errors import InputCountError

nodes = model.find_input_nodes()
if len(nodes) != len(inputs):
    raise InputCountError(f"{len(inputs)} values given, but this model takes {len(nodes)} inputs")
for i in range(len(nodes)):
    nodes[i].value = inputs[i]
return model.forward()

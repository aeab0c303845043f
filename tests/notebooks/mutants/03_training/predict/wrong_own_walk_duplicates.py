# sharing: its own walk lists an input once per use, so x * x + y seems to have three inputs
nodes, stack = [], [model]
while stack:
    node = stack.pop()
    if isinstance(node, Input):
        nodes.append(node)
    stack.extend(reversed(node.children))
if len(inputs) != len(nodes):
    raise ValueError(f"the model has {len(nodes)} inputs but got {len(inputs)} values")
for node, value in zip(nodes, inputs):
    node.value = value
return model.forward()

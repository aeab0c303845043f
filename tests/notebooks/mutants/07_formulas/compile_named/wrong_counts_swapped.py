# roles: the message puts the number of names where the number of inputs belongs
inputs = model.find_input_nodes()
names = list(names)
if len(names) != len(inputs):
    raise ValueError(f"the model has {len(names)} inputs but {len(inputs)} names were given")
if len(set(names)) != len(names):
    raise ValueError(f"input names must be different, got {names}")
for node, name in zip(inputs, names):
    node.name = name
return model.compile()

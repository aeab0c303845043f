# rule: names the inputs but never compiles the model (predict by name still works)
inputs = model.find_input_nodes()
names = list(names)
if len(names) != len(inputs):
    raise ValueError(f"the model has {len(inputs)} inputs but {len(names)} names were given")
if len(set(names)) != len(names):
    raise ValueError(f"input names must be different, got {names}")
for node, name in zip(inputs, names):
    node.name = name
return model

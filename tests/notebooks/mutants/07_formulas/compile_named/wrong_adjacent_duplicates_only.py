# sharing: looks for a repeated name only among neighbours, so ["p", "q", "p"] passes
inputs = model.find_input_nodes()
names = list(names)
if len(names) != len(inputs):
    raise ValueError(f"the model has {len(inputs)} inputs but {len(names)} names were given")
if any(first == second for first, second in zip(names, names[1:])):
    raise ValueError(f"input names must be different, got {names}")
for node, name in zip(inputs, names):
    node.name = name
return model.compile()

# state: remembers every name ever given, so the same names are refused for a second model
used = compile_named.__dict__.setdefault("used", set())
inputs = model.find_input_nodes()
names = list(names)
if len(names) != len(inputs):
    raise ValueError(f"the model has {len(inputs)} inputs but {len(names)} names were given")
if len(set(names)) != len(names) or used & set(names):
    raise ValueError(f"input names must be different, got {names}")
used.update(names)
for node, name in zip(inputs, names):
    node.name = name
return model.compile()

# style: a dict from names to inputs, whose size shows duplicates
inputs = model.find_input_nodes()
if len(names) != len(inputs):
    raise ValueError(f"need one name per input: {len(inputs)} inputs, {len(names)} names")
mapping = dict(zip(names, inputs))
if len(mapping) != len(inputs):
    raise ValueError(f"need {len(inputs)} different names, got {list(names)}")
for name, node in mapping.items():
    node.name = name
model.compile()
return model

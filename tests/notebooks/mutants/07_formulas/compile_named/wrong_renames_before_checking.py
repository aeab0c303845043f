# rule: renames while it checks, so after a duplicate the first inputs already have new names
inputs = model.find_input_nodes()
names = list(names)
if len(names) != len(inputs):
    raise ValueError(f"the model has {len(inputs)} inputs but {len(names)} names were given")
taken = set()
for node, name in zip(inputs, names):
    if name in taken:
        raise ValueError(f"the name {name} is used twice")
    taken.add(name)
    node.name = name
return model.compile()

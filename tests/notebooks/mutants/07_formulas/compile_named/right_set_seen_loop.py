# style: one loop that checks with a set of names seen so far, renaming only after it
inputs = model.find_input_nodes()
if len(inputs) != len(names):
    raise ValueError(
        f"compile_named: expected {len(inputs)} names since there are {len(inputs)} inputs, "
        f"but there are {len(names)} names"
    )
seen = set()
for name in names:
    if name in seen:
        raise ValueError(f"the name {name!r} is given twice")
    seen.add(name)
for node, name in zip(inputs, names):
    node.name = name
return model.compile()

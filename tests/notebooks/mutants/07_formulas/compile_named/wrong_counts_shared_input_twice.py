# sharing: its own walk lists an input once per use, so a shared input needs two names
found = []
todo = [model]
while todo:
    node = todo.pop()
    if isinstance(node, Input):
        found.append(node)
    todo.extend(reversed(node.children))
names = list(names)
if len(names) != len(found):
    raise ValueError(f"the model has {len(found)} inputs but {len(names)} names were given")
if len(set(names)) != len(names):
    raise ValueError(f"input names must be different, got {names}")
for node, name in zip(found, names):
    node.name = name
return model.compile()

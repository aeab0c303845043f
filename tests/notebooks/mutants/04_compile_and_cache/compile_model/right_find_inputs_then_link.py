# style: treeprop's find_input_nodes for the inputs, a generator of free names, then a link walk
model.inputs = model.find_input_nodes()
used = {node.name for node in model.inputs if node.name is not None}
fresh = (f"x{k}" for k in range(10**6) if f"x{k}" not in used)
for node in model.inputs:
    if node.name is None:
        node.name = next(fresh)
todo = [model]
while todo:
    parent = todo.pop()
    for child in parent.children:
        if parent not in child._parents:
            child._parents.append(parent)
    todo.extend(parent.children)
return model

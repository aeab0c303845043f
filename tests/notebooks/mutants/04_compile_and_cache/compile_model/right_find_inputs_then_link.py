model.inputs = model.find_input_nodes()
for position, node in enumerate(model.inputs):
    if node.name is None:
        node.name = f"x{position}"
todo = [model]
while todo:
    parent = todo.pop()
    for child in parent.children:
        child._parents.append(parent)
    todo.extend(parent.children)
return model

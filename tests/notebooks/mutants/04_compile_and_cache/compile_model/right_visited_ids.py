# style: each node visited once (a set of ids), inputs kept in a dict by id, names by index search
seen, inputs = set(), {}
stack = [model]
while stack:
    node = stack.pop()
    if id(node) in seen:
        continue
    seen.add(id(node))
    if isinstance(node, Input):
        inputs.setdefault(id(node), node)
    for child in node.children:
        if not any(p is node for p in child._parents):
            child._parents.append(node)
    for child in node.children[::-1]:
        if id(child) not in seen:
            stack.append(child)
ordered = list(inputs.values())
for node in ordered:
    if not node.name:
        index = 0
        while any(other.name == f"x{index}" for other in ordered):
            index += 1
        node.name = f"x{index}"
model.inputs = ordered
return model

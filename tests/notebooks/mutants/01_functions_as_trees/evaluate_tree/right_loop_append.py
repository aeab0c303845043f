# style: a plain loop that appends the children's values, checking len(children)
if len(node.children) == 0:
    return node.value
values = []
for child in node.children:
    values.append(evaluate(child))
return node.op(values)

# mutation: replaces each evaluated child by a Constant of its value, changing the caller's tree
if not node.children:
    return node.value
node.children[:] = [Constant(evaluate(child)) for child in node.children]
return node.op([child.value for child in node.children])

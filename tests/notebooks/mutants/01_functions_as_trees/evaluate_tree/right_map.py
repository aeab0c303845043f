# style: map() over the children and an isinstance test for the leaves
if isinstance(node, (Constant, Parameter, Input)):
    return node.value
return node.op(list(map(evaluate, node.children)))

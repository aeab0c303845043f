# roles: hands the children's values to op in reverse order
if not node.children:
    return node.value
return node.op([evaluate(child) for child in reversed(node.children)])

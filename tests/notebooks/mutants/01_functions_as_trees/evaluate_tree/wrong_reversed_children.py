if not node.children:
    return node.value
return node.op([evaluate(child) for child in reversed(node.children)])

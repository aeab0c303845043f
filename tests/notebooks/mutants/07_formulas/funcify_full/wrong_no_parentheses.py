    # other: sums and products without their parentheses
    if isinstance(node, Input):
        return node.name
    if isinstance(node, (Parameter, Constant)):
        return f"{node.value:.4g}"
    if isinstance(node, Macro):
        return funcify_full(node.children[0])
    parts = [funcify_full(c) for c in node.children]
    if isinstance(node, Add):
        return " + ".join(parts)
    if isinstance(node, Multiply):
        return " * ".join(parts)
    if isinstance(node, ReLU):
        return f"relu({parts[0]})"
    return f"sigmoid({parts[0]})"

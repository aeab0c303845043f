# tested-values: f"{value:.4}" instead of .4g, the same for 0.1 and -17.78 but 3.0 becomes 3.0
if isinstance(node, Input):
    return node.name
if isinstance(node, (Parameter, Constant)):
    return f"{node.value:.4}"
if isinstance(node, Macro):
    return funcify_full(node.children[0])
parts = [funcify_full(c) for c in node.children]
if isinstance(node, Add):
    return "(" + " + ".join(parts) + ")"
if isinstance(node, Multiply):
    return "(" + " * ".join(parts) + ")"
if isinstance(node, ReLU):
    return f"relu({parts[0]})"
return f"sigmoid({parts[0]})"

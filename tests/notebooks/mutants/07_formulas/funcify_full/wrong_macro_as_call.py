# rule: writes a macro as a call of its label, though the text says it writes its expansion
if isinstance(node, Input):
    return node.name
if isinstance(node, (Parameter, Constant)):
    return f"{node.value:.4g}"
if isinstance(node, Macro):
    return f"{node.label()}({', '.join(funcify_full(a) for a in node.arguments)})"
parts = [funcify_full(c) for c in node.children]
if isinstance(node, Add):
    return "(" + " + ".join(parts) + ")"
if isinstance(node, Multiply):
    return "(" + " * ".join(parts) + ")"
if isinstance(node, ReLU):
    return f"relu({parts[0]})"
return f"sigmoid({parts[0]})"

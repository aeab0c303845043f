# mutation: flattens nested sums and products by splicing them into the model itself
def flatten(n):
    for c in n.children:
        flatten(c)
    if isinstance(n, (Add, Multiply)):
        spliced = []
        for c in n.children:
            spliced.extend(c.children if type(c) is type(n) else [c])
        n.children[:] = spliced

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
        return " * ".join(f"({t})" if level < PRODUCT else t for t, level in parts), PRODUCT
    if isinstance(n, ReLU):
        return f"relu({parts[0][0]})", ATOM
    return f"sigmoid({parts[0][0]})", ATOM

flatten(node)
return write(node)[0]

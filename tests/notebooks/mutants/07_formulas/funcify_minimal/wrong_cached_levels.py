# state: keeps (text, level) of every node from earlier calls, so changed values never show
memo = funcify.__dict__.setdefault("memo", {})

def write(n):
    if id(n) in memo:
        return memo[id(n)]
    if isinstance(n, Input):
        out = n.name, ATOM
    elif isinstance(n, (Parameter, Constant)):
        out = f"{n.value:.4g}", ATOM
    elif isinstance(n, Macro):
        out = write(n.children[0])
    else:
        parts = [write(c) for c in n.children]
        if isinstance(n, Add):
            out = " + ".join(t for t, _ in parts), SUM
        elif isinstance(n, Multiply):
            out = " * ".join(f"({t})" if lv < PRODUCT else t for t, lv in parts), PRODUCT
        elif isinstance(n, ReLU):
            out = f"relu({parts[0][0]})", ATOM
        else:
            out = f"sigmoid({parts[0][0]})", ATOM
    memo[id(n)] = out
    return out

return write(node)[0]

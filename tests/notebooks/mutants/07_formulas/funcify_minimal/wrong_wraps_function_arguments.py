    # rule: wraps a sum inside relu(...) again
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
        inner = parts[0][0] if parts[0][1] == ATOM else f"({parts[0][0]})"
        if isinstance(n, ReLU):
            return f"relu({inner})", ATOM
        return f"sigmoid({inner})", ATOM

    return write(node)[0]

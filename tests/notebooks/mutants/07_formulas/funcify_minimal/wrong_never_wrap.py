    # other: never wraps, so (a + b) * c loses its meaning
    def write(n):
        if isinstance(n, Input):
            return n.name
        if isinstance(n, (Parameter, Constant)):
            return f"{n.value:.4g}"
        if isinstance(n, Macro):
            return write(n.children[0])
        parts = [write(c) for c in n.children]
        if isinstance(n, Add):
            return " + ".join(parts)
        if isinstance(n, Multiply):
            return " * ".join(parts)
        if isinstance(n, ReLU):
            return f"relu({parts[0]})"
        return f"sigmoid({parts[0]})"

    return write(node)

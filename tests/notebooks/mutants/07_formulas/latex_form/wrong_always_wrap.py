    # other: wraps every sum and product in \left( \right)
    def write(n):
        if isinstance(n, Input):
            m = re.fullmatch(r"([A-Za-z]+)(\d+)", n.name)
            return f"{m.group(1)}_{{{m.group(2)}}}" if m else n.name
        if isinstance(n, (Parameter, Constant)):
            return f"{n.value:.4g}"
        if isinstance(n, Macro):
            return write(n.children[0])
        parts = [write(c) for c in n.children]
        if isinstance(n, Add):
            return r"\left(" + " + ".join(parts) + r"\right)"
        if isinstance(n, Multiply):
            return r"\left(" + r" \cdot ".join(parts) + r"\right)"
        if isinstance(n, ReLU):
            return rf"\operatorname{{ReLU}}\left({parts[0]}\right)"
        return rf"\sigma\left({parts[0]}\right)"

    return write(node)

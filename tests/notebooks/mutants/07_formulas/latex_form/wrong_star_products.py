    # rule: products with * instead of \cdot
    def write(n):
        if isinstance(n, Input):
            m = re.fullmatch(r"([A-Za-z]+)(\d+)", n.name)
            return (f"{m.group(1)}_{{{m.group(2)}}}" if m else n.name), ATOM
        if isinstance(n, (Parameter, Constant)):
            return f"{n.value:.4g}", ATOM
        if isinstance(n, Macro):
            return write(n.children[0])
        parts = [write(c) for c in n.children]
        if isinstance(n, Add):
            return " + ".join(t for t, _ in parts), SUM
        if isinstance(n, Multiply):
            return " * ".join(rf"\left({t}\right)" if lv < PRODUCT else t for t, lv in parts), PRODUCT
        if isinstance(n, ReLU):
            return rf"\operatorname{{ReLU}}\left({parts[0][0]}\right)", ATOM
        return rf"\sigma\left({parts[0][0]}\right)", ATOM

    return write(node)[0]

# rule: turns every run of digits into a subscript, so h2o becomes h_{2}o instead of keeping its name
def name(text):
    return re.sub(r"(\d+)", r"_{\1}", text)

def write(n):
    if isinstance(n, Input):
        return name(n.name), ATOM
    if isinstance(n, (Parameter, Constant)):
        return f"{n.value:.4g}", ATOM
    if isinstance(n, Macro):
        return write(n.children[0])
    parts = [write(c) for c in n.children]
    if isinstance(n, Add):
        return " + ".join(t for t, _ in parts), SUM
    if isinstance(n, Multiply):
        return r" \cdot ".join(rf"\left({t}\right)" if lv < PRODUCT else t
                               for t, lv in parts), PRODUCT
    if isinstance(n, ReLU):
        return rf"\operatorname{{ReLU}}\left({parts[0][0]}\right)", ATOM
    return rf"\sigma\left({parts[0][0]}\right)", ATOM

return write(node)[0]

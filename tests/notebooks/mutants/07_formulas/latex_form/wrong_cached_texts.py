# state: keeps the LaTeX of every node from earlier calls, so a changed value never shows
memo = to_latex.__dict__.setdefault("memo", {})

def write(n):
    if id(n) in memo:
        return memo[id(n)]
    if isinstance(n, Input):
        m = re.fullmatch(r"([A-Za-z]+)(\d+)", n.name)
        out = (f"{m.group(1)}_{{{m.group(2)}}}" if m else n.name), ATOM
    elif isinstance(n, (Parameter, Constant)):
        out = f"{n.value:.4g}", ATOM
    elif isinstance(n, Macro):
        out = write(n.children[0])
    else:
        parts = [write(c) for c in n.children]
        if isinstance(n, Add):
            out = " + ".join(t for t, _ in parts), SUM
        elif isinstance(n, Multiply):
            out = r" \cdot ".join(rf"\left({t}\right)" if lv < PRODUCT else t
                                  for t, lv in parts), PRODUCT
        elif isinstance(n, ReLU):
            out = rf"\operatorname{{ReLU}}\left({parts[0][0]}\right)", ATOM
        else:
            out = rf"\sigma\left({parts[0][0]}\right)", ATOM
    memo[id(n)] = out
    return out

return write(node)[0]

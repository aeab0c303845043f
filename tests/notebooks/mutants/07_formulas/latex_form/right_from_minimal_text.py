# style: builds the minimal text as a list of tokens, then spells each token in LaTeX
def tokens(n):
    if isinstance(n, Macro):
        return tokens(n.children[0])
    if isinstance(n, Input):
        return [("name", n.name)], ATOM
    if isinstance(n, (Parameter, Constant)):
        return [("num", f"{n.value:.4g}")], ATOM
    kids = [tokens(c) for c in n.children]
    if isinstance(n, (ReLU, Sigmoid)):
        return [("call", "relu" if isinstance(n, ReLU) else "sigmoid")] + kids[0][0] + [
            ("close", ")")], ATOM
    out = []
    for i, (toks, level) in enumerate(kids):
        if i:
            out.append(("op", "+" if isinstance(n, Add) else "*"))
        if isinstance(n, Multiply) and level == SUM:
            out += [("open", "(")] + toks + [("close", ")")]
        else:
            out += toks
    return out, (SUM if isinstance(n, Add) else PRODUCT)

spell = {"+": " + ", "*": r" \cdot ", "(": r"\left(", ")": r"\right)",
         "relu": r"\operatorname{ReLU}\left(", "sigmoid": r"\sigma\left("}
pieces = []
for kind, value in tokens(node)[0]:
    if kind == "name":
        m = re.fullmatch(r"([A-Za-z]+)(\d+)", value)
        pieces.append(f"{m.group(1)}_{{{m.group(2)}}}" if m else value)
    elif kind == "num":
        pieces.append(value)
    else:
        pieces.append(spell[value])
return "".join(pieces)

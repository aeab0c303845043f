# style: a dispatch table of small functions, subscripts with named groups, no spaces at all
SUBSCRIPT = re.compile(r"(?P<letters>[A-Za-z]+)(?P<digits>\d+)")

def sub(name):
    hit = SUBSCRIPT.fullmatch(name)
    return name if hit is None else hit["letters"] + "_{" + hit["digits"] + "}"

def wrap(pair):
    return r"\left(" + pair[0] + r"\right)" if pair[1] == SUM else pair[0]

rules = [
    (Input, lambda n, kids: (sub(n.name), ATOM)),
    (Parameter, lambda n, kids: (format(n.value, ".4g"), ATOM)),
    (Constant, lambda n, kids: (format(n.value, ".4g"), ATOM)),
    (Macro, lambda n, kids: kids[0]),
    (Add, lambda n, kids: ("+".join(k[0] for k in kids), SUM)),
    (Multiply, lambda n, kids: (r"\cdot ".join(wrap(k) for k in kids), PRODUCT)),
    (ReLU, lambda n, kids: (r"\operatorname{ReLU}\left(" + kids[0][0] + r"\right)", ATOM)),
    (Sigmoid, lambda n, kids: (r"\sigma\left(" + kids[0][0] + r"\right)", ATOM)),
]

def tex(n):
    kids = [tex(c) for c in n.children]
    for cls, rule in rules:
        if isinstance(n, cls):
            return rule(n, kids)
    raise TypeError(type(n).__name__)

return tex(node)[0]

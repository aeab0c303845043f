# style: a needs_brackets(child, parent) predicate and %-formatting, levels never stored
def is_sum(n):
    while isinstance(n, Macro):
        n = n.children[0]
    return isinstance(n, Add)

def needs_brackets(child, parent):
    return isinstance(parent, Multiply) and is_sum(child)

def text(n):
    if isinstance(n, Macro):
        return text(n.children[0])
    if isinstance(n, Input):
        return n.name
    if isinstance(n, (Parameter, Constant)):
        return "%.4g" % n.value
    if isinstance(n, (ReLU, Sigmoid)):
        return "%s(%s)" % ("relu" if isinstance(n, ReLU) else "sigmoid", text(n.children[0]))
    pieces = ["(%s)" % text(c) if needs_brackets(c, n) else text(c) for c in n.children]
    return (" + " if isinstance(n, Add) else " * ").join(pieces)

return text(node)

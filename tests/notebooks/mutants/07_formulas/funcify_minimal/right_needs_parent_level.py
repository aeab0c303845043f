    # style: the parent passes down the level it needs, the child wraps itself
    def write(n, need):
        if isinstance(n, Macro):
            return write(n.children[0], need)
        if isinstance(n, Input):
            return n.name
        if not n.children:
            return format(n.value, ".4g")
        if isinstance(n, ReLU):
            return "relu(" + write(n.children[0], SUM) + ")"
        if isinstance(n, Sigmoid):
            return "sigmoid(" + write(n.children[0], SUM) + ")"
        if isinstance(n, Add):
            text, level = " + ".join(write(c, SUM) for c in n.children), SUM
        else:
            text, level = " * ".join(write(c, PRODUCT) for c in n.children), PRODUCT
        return "(" + text + ")" if level < need else text

    return write(node, SUM)

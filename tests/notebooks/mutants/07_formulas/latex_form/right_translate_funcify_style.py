    # style: one helper for text and level, products joined by hand
    def level_text(n):
        if isinstance(n, Macro):
            return level_text(n.expansion)
        if isinstance(n, Input):
            split = re.fullmatch(r"([A-Za-z]+)(\d+)", n.name)
            return (split.group(1) + "_{" + split.group(2) + "}" if split else n.name), ATOM
        if isinstance(n, (Parameter, Constant)):
            return format(n.value, ".4g"), ATOM
        kids = [level_text(c) for c in n.children]
        if isinstance(n, ReLU) or isinstance(n, Sigmoid):
            head = r"\operatorname{ReLU}" if isinstance(n, ReLU) else r"\sigma"
            return head + r"\left(" + kids[0][0] + r"\right)", ATOM
        if isinstance(n, Add):
            return "+".join(t for t, _ in kids), SUM
        pieces = []
        for t, lv in kids:
            pieces.append(r"\left(" + t + r"\right)" if lv == SUM else t)
        return r"\cdot ".join(pieces), PRODUCT

    return level_text(node)[0]

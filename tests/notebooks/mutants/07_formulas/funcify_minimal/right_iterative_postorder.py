# style: no recursion, a post-order stack filling a dict of (text, level) by id
done = {}
stack = [(node, False)]
while stack:
    n, ready = stack.pop()
    if not ready:
        stack.append((n, True))
        stack.extend((c, False) for c in n.children)
        continue
    if isinstance(n, Input):
        done[id(n)] = (n.name, ATOM)
    elif isinstance(n, (Parameter, Constant)):
        done[id(n)] = (f"{n.value:.4g}", ATOM)
    elif isinstance(n, Macro):
        done[id(n)] = done[id(n.children[0])]
    else:
        parts = [done[id(c)] for c in n.children]
        if isinstance(n, Add):
            done[id(n)] = (" + ".join(t for t, _ in parts), SUM)
        elif isinstance(n, Multiply):
            done[id(n)] = (" * ".join("(" + t + ")" if lv == SUM else t for t, lv in parts),
                           PRODUCT)
        else:
            call = "relu" if isinstance(n, ReLU) else "sigmoid"
            done[id(n)] = (f"{call}({parts[0][0]})", ATOM)
return done[id(node)][0]

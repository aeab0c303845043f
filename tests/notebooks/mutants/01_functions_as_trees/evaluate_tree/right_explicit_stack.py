# style: an explicit stack instead of recursion (post-order by hand)
values = {}
stack = [(node, False)]
while stack:
    current, ready = stack.pop()
    if not current.children:
        values[id(current)] = current.value
    elif ready:
        values[id(current)] = current.op([values[id(c)] for c in current.children])
    else:
        stack.append((current, True))
        stack.extend((c, False) for c in current.children)
return values[id(node)]

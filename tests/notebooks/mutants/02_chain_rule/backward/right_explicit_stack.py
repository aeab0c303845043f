# style: an explicit stack instead of recursion
stack = [(node, derivative)]
while stack:
    current, d = stack.pop()
    current.gradient = d
    current.on_backward(d)
    local = current.grad()
    for child, slope in reversed(list(zip(current.children, local))):
        stack.append((child, d * slope))

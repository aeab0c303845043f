# state: keeps each node's text from earlier calls, so a changed parameter shows its old value
memo = funcify_full.__dict__.setdefault("memo", {})
if id(node) in memo:
    return memo[id(node)]
if isinstance(node, Input):
    text = node.name
elif isinstance(node, (Parameter, Constant)):
    text = f"{node.value:.4g}"
elif isinstance(node, Macro):
    text = funcify_full(node.children[0])
else:
    parts = [funcify_full(c) for c in node.children]
    if isinstance(node, Add):
        text = "(" + " + ".join(parts) + ")"
    elif isinstance(node, Multiply):
        text = "(" + " * ".join(parts) + ")"
    elif isinstance(node, ReLU):
        text = f"relu({parts[0]})"
    else:
        text = f"sigmoid({parts[0]})"
memo[id(node)] = text
return text

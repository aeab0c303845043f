# style: its own iterative walk that lists each input once, and a dict from node to value
found, stack = [], [model]
while stack:
    node = stack.pop()
    if isinstance(node, Input) and not any(node is f for f in found):
        found.append(node)
    stack.extend(node.children[::-1])
if len(inputs) != len(found):
    raise ValueError(f"expected {len(found)} input(s), got {len(inputs)} value(s)")
pairs = {id(node): (node, value) for node, value in zip(found, inputs)}
for node, value in pairs.values():
    node.value = value
return model.forward()

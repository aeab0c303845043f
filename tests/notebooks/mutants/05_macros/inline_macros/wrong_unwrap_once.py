# rule: a macro whose expansion is a macro is unwrapped only once
if isinstance(root, kinds):
    root = root.children[0]
seen = set()
stack = [root]
while stack:
    node = stack.pop()
    if id(node) in seen:
        continue
    seen.add(id(node))
    node.children = [c.children[0] if isinstance(c, kinds) else c for c in node.children]
    stack.extend(node.children)
return root

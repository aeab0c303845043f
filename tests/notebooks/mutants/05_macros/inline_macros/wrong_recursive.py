# rule: a recursive walk (with a visited set), which passes Python's recursion limit on deep graphs
seen = set()

def unwrap(node):
    while isinstance(node, kinds):
        node = node.children[0]
    return node

def visit(node):
    if id(node) in seen:
        return
    seen.add(id(node))
    node.children = [unwrap(c) for c in node.children]
    for child in node.children:
        visit(child)

root = unwrap(root)
visit(root)
return root

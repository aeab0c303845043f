# style: a recursive marking walk with a visited set
self.arguments = list(arguments)
super().__init__(self.expand(self.arguments), name=name)
visited = set(id(a) for a in self.arguments)

def mark(node):
    if id(node) in visited:
        return
    visited.add(id(node))
    if node.macro is None:
        node.macro = self
    for child in node.children:
        mark(child)

mark(self.children[0])

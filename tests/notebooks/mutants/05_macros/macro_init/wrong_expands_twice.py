# other: calls expand twice, marking one copy and keeping the other as the child
self.arguments = arguments
super().__init__(self.expand(arguments), name=name)
stop = {id(a) for a in arguments}
seen = set()
stack = [self.expand(arguments), self.children[0]]
while stack:
    node = stack.pop()
    if id(node) in stop or id(node) in seen:
        continue
    seen.add(id(node))
    if node.macro is None:
        node.macro = self
    stack.extend(node.children)

# mutation: clears the arguments' marks, which belong to whoever made them
self.arguments = arguments
for a in arguments:
    a.macro = None
expansion = self.expand(arguments)
super().__init__(expansion, name=name)
stop = {id(a) for a in arguments}
seen = set()
stack = [expansion]
while stack:
    node = stack.pop()
    if id(node) in stop or id(node) in seen:
        continue
    seen.add(id(node))
    if node.macro is None:
        node.macro = self
    stack.extend(node.children)

# rule: the walk does not stop at the arguments and marks them
self.arguments = arguments
expansion = self.expand(arguments)
super().__init__(expansion, name=name)
seen = set()
stack = [expansion]
while stack:
    node = stack.pop()
    if id(node) in seen:
        continue
    seen.add(id(node))
    if node.macro is None:
        node.macro = self
    stack.extend(node.children)

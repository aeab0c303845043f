# rule: skips marking the arguments but walks on below them, marking nodes that are not its own
self.arguments = arguments
expansion = self.expand(arguments)
super().__init__(expansion, name=name)
args = {id(a) for a in arguments}
seen = set()
stack = [expansion]
while stack:
    node = stack.pop()
    if id(node) in seen:
        continue
    seen.add(id(node))
    if node.macro is None and id(node) not in args:
        node.macro = self
    stack.extend(node.children)

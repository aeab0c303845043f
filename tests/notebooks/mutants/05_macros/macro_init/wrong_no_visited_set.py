# rule: no visited set, so a node reached along two paths is walked twice (2**40 steps)
self.arguments = arguments
expansion = self.expand(arguments)
super().__init__(expansion, name=name)
stop = {id(a) for a in arguments}
stack = [expansion]
while stack:
    node = stack.pop()
    if id(node) in stop:
        continue
    if node.macro is None:
        node.macro = self
    stack.extend(node.children)

# sharing: stops at nodes an inner macro marked, so the outer's nodes below them stay unmarked
self.arguments = arguments
expansion = self.expand(arguments)
super().__init__(expansion, name=name)
stop = {id(a) for a in arguments}
stack = [expansion]
while stack:
    node = stack.pop()
    if id(node) in stop or node.macro is not None:
        continue
    node.macro = self
    stack.extend(node.children)

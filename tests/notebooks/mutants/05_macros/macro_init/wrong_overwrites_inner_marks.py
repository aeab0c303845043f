# rule: overwrites an inner macro's marks, and walks every path
self.arguments = arguments
expansion = self.expand(arguments)
super().__init__(expansion, name=name)
stop = {id(a) for a in arguments}
stack = [expansion]
while stack:
    node = stack.pop()
    if id(node) in stop:
        continue
    node.macro = self
    stack.extend(node.children)

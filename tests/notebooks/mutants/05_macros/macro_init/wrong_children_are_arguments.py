# roles: the first argument becomes the child, the expansion is thrown away
self.arguments = arguments
super().__init__(arguments[0], name=name)
for node in self.expand(arguments).children:
    node.macro = self

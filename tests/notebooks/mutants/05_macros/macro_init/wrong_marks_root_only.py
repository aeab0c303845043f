# tested-values: only the expansion's root is marked
self.arguments = arguments
expansion = self.expand(arguments)
super().__init__(expansion, name=name)
expansion.macro = self

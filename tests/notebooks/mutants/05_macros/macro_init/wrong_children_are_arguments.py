        self.arguments = arguments
        super().__init__(arguments[0], name=name)
        for node in self.expand(arguments).children:
            node.macro = self

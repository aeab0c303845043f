# style: finds the inputs by a recursive walk (the text allows it)
class Computation(NeuralNetNode):
    def __init__(self, *children, name=None):
        if len(children) == 1 and isinstance(children[0], (list, tuple)):
            children = tuple(children[0])
        if not children:
            raise ValueError(f"{type(self).__name__} needs at least one child")
        self.name = name
        NeuralNetNode.__init__(self, children=[as_node(c) for c in children])

    def find_input_nodes(self):
        found, seen = [], set()

        def visit(node):
            if id(node) in seen:
                return
            seen.add(id(node))
            if isinstance(node, Input):
                found.append(node)
            for child in node.children:
                visit(child)

        visit(self)
        return found

    def predict(self, inputs):
        nodes = self.find_input_nodes()
        if len(inputs) != len(nodes):
            raise ValueError(f"expected {len(nodes)} input values, got {len(inputs)}")
        for node, value in zip(nodes, inputs):
            node.value = value
        return self.forward()

return Computation

# mutation: consumes the caller's list of values with pop(0)
class Computation(NeuralNetNode):
    def __init__(self, *children, name=None):
        if len(children) == 1 and isinstance(children[0], (list, tuple)):
            children = tuple(children[0])
        if not children:
            raise ValueError(f"{type(self).__name__} needs at least one child")
        self.name = name
        NeuralNetNode.__init__(self, children=[as_node(c) for c in children])

    def find_input_nodes(self):
        found, seen, stack = [], set(), [self]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, Input):
                found.append(node)
            stack.extend(reversed(node.children))
        return found

    def predict(self, inputs):
        nodes = self.find_input_nodes()
        if len(inputs) != len(nodes):
            raise ValueError(f"expected {len(nodes)} input values, got {len(inputs)}")
        for node in nodes:
            node.value = inputs.pop(0)
        return self.forward()

return Computation

# rule: a node without children is accepted
class Computation(NeuralNetNode):
    def __init__(self, *children, name=None):
        if len(children) == 1 and isinstance(children[0], (list, tuple)):
            children = tuple(children[0])
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
        for node, value in zip(nodes, inputs):
            node.value = value
        return self.forward()

return Computation

# style: an iterative post-order walk with (node, done) pairs; another message wording
class Computation(NeuralNetNode):
    def __init__(self, *children, name=None):
        if len(children) == 1 and isinstance(children[0], (list, tuple)):
            children = tuple(children[0])
        if not children:
            raise ValueError(f"{type(self).__name__} needs at least one child")
        self.name = name
        NeuralNetNode.__init__(self, children=[as_node(c) for c in children])

    def find_input_nodes(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            for child in reversed(node.children):
                stack.append((child, False))
        return [n for n in order if isinstance(n, Input)]

    def predict(self, inputs):
        nodes = self.find_input_nodes()
        if len(inputs) != len(nodes):
            raise ValueError(f"wrong number of values: this model expected {len(nodes)}, but got {len(inputs)} (in order: {[n.label() for n in nodes]})")
        for node, value in zip(nodes, inputs):
            node.value = value
        return self.forward()

return Computation

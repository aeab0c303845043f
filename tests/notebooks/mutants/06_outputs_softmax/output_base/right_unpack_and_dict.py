# style: children unpacked with a helper, seen nodes in a dict, values written by index
class Computation(NeuralNetNode):
    def __init__(self, *children, name=None):
        given = list(children[0]) if len(children) == 1 and type(children[0]) in (list, tuple) \
            else list(children)
        if len(given) == 0:
            raise ValueError("a Computation needs one or more children, got none")
        self.name = name
        NeuralNetNode.__init__(self, children=list(map(as_node, given)))

    def find_input_nodes(self):
        found, seen, stack = [], {}, [self]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen[id(node)] = True
            if isinstance(node, Input):
                found.append(node)
            stack.extend(reversed(node.children))
        return found

    def predict(self, inputs):
        nodes = self.find_input_nodes()
        if len(inputs) != len(nodes):
            raise ValueError(f"expected {len(nodes)} input values, got {len(inputs)}")
        for i in range(len(nodes)):
            nodes[i].value = inputs[i]
        return self.forward()

return Computation

# style: a nested helper builds one layer from a tuple of values
def layer(below, width):
    return tuple(ReLU(Neuron(list(below), learning_rate=learning_rate)) for _ in range(width))

values = tuple(inputs)
for width in hidden:
    values = layer(values, width)
return Neuron(list(values), learning_rate=learning_rate)

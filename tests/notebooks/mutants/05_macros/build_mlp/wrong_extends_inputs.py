# mutation: grows the caller's list of inputs with every layer it builds
values = inputs
for width in hidden:
    layer = [ReLU(Neuron(list(values), learning_rate=learning_rate)) for _ in range(width)]
    values.clear()
    values.extend(layer)
return Neuron(list(values), learning_rate=learning_rate)

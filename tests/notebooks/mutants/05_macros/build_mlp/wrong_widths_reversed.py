# roles: builds the layers from the last width to the first
values = list(inputs)
for width in reversed(hidden):
    values = [ReLU(Neuron(values, learning_rate=learning_rate)) for _ in range(width)]
return Neuron(values, learning_rate=learning_rate)

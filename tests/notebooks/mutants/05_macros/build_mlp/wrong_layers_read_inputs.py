# roles: every hidden layer reads the inputs instead of the layer below
values = list(inputs)
for width in hidden:
    values = [ReLU(Neuron(list(inputs), learning_rate=learning_rate)) for _ in range(width)]
return Neuron(values, learning_rate=learning_rate)

# sharing: one neuron object repeated across a layer
values = list(inputs)
for width in hidden:
    unit = ReLU(Neuron(values, learning_rate=learning_rate))
    values = [unit] * width
return Neuron(values, learning_rate=learning_rate)

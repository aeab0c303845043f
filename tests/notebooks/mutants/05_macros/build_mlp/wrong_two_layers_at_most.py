# tested-values: only the first two hidden widths are used
values = list(inputs)
for width in hidden[:2]:
    values = [ReLU(Neuron(values, learning_rate=learning_rate)) for _ in range(width)]
return Neuron(values, learning_rate=learning_rate)

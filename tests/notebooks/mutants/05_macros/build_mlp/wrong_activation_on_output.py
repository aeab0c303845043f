# rule: a ReLU on the output neuron too (the text says no activation on top)
values = list(inputs)
for width in hidden:
    values = [ReLU(Neuron(values, learning_rate=learning_rate)) for _ in range(width)]
return ReLU(Neuron(values, learning_rate=learning_rate))

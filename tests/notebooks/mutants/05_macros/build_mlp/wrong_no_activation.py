# rule: hidden neurons without their ReLU
values = list(inputs)
for width in hidden:
    values = [Neuron(values, learning_rate=learning_rate) for _ in range(width)]
return Neuron(values, learning_rate=learning_rate)

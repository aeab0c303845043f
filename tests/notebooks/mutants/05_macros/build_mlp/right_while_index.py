# style: a while loop over the layer index, neurons appended one by one
below = [x for x in inputs]
k = 0
while k < len(hidden):
    layer = []
    for _ in range(hidden[k]):
        layer.append(ReLU(Neuron(below, learning_rate=learning_rate)))
    below = layer
    k += 1
return Neuron(below, learning_rate=learning_rate)

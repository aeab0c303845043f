# style: recursion over the layers instead of a loop
if not hidden:
    return Neuron(list(inputs), learning_rate=learning_rate)
layer = []
for _ in range(hidden[0]):
    layer.append(ReLU(Neuron(list(inputs), learning_rate=learning_rate)))
return mlp(layer, hidden[1:], learning_rate)

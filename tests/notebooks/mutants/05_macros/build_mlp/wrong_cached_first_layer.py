# state: remembers the first layer built over these inputs and reuses it in the next network
cache = mlp.__dict__.setdefault("layers", {})
values = list(inputs)
for k, width in enumerate(hidden):
    key = (k, width, tuple(id(v) for v in values))
    if key not in cache:
        cache[key] = [ReLU(Neuron(values, learning_rate=learning_rate)) for _ in range(width)]
    values = cache[key]
return Neuron(values, learning_rate=learning_rate)

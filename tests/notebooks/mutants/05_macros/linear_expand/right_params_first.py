# style: all weights made first, then zip with the inputs; bias at the front of the sum
rate = self.learning_rate
weights = [Parameter(learning_rate=rate) for _ in range(len(arguments))]
products = [Multiply(x, w) for w, x in zip(weights, arguments)]
if not self.bias:
    return Add(*products)
return Add(Parameter(learning_rate=rate), *products)

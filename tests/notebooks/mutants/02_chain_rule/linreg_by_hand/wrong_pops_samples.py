# mutation: consumes the caller's samples with pop(0)
history = []
while samples:
    x, y = samples.pop(0)
    d_p = -2.0 * (y - (w * x + b))
    w, b = w - learning_rate * d_p * x, b - learning_rate * d_p
    history.append((w, b))
return history

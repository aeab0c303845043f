# state: both steps start from the initial parameters
history = []
for x, y in samples:
    d_p = -2.0 * (y - (w * x + b))
    history.append((w - learning_rate * d_p * x, b - learning_rate * d_p))
return history

# other: drops the 2 of the squared error's derivative
history = []
for x, y in samples:
    d_p = -(y - (w * x + b))
    w, b = w - learning_rate * d_p * x, b - learning_rate * d_p
    history.append((w, b))
return history

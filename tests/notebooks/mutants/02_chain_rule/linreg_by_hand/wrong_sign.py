# other: steps with the gradient instead of against it
history = []
for x, y in samples:
    d_p = -2.0 * (y - (w * x + b))
    w, b = w + learning_rate * d_p * x, b + learning_rate * d_p
    history.append((w, b))
return history

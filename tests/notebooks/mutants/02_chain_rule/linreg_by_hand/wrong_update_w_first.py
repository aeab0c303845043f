# rule: updates w, then predicts again for b (the text says one prediction for both)
history = []
for x, y in samples:
    p = w * x + b
    w = w - learning_rate * -2.0 * (y - p) * x
    p = w * x + b
    b = b - learning_rate * -2.0 * (y - p)
    history.append((w, b))
return history

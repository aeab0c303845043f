# rule: does the arithmetic by hand and returns a tree that was never trained
model = Add(Mul(Parameter(w), Input()), Parameter(b))
history = []
for x, y in samples:
    d_p = -2.0 * (y - (w * x + b))
    w, b = w - learning_rate * d_p * x, b - learning_rate * d_p
    history.append((w, b))
return model, history

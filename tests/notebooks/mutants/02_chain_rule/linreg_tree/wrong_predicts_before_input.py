# state: predicts before writing the sample's x, so it uses the previous sample's x
w_leaf = Parameter(w, learning_rate=learning_rate)
b_leaf = Parameter(b, learning_rate=learning_rate)
x_leaf = Input()
model = Add(Mul(w_leaf, x_leaf), b_leaf)
history = []
for x, y in samples:
    p = model.forward()
    x_leaf.value = x
    backward_fn(model, -2.0 * (y - p))
    history.append((w_leaf.value, b_leaf.value))
return model, history

# style: the input leaf made first with the first sample's value, b added on the left
x_leaf = Input(samples[0][0])
w_leaf = Parameter(w, learning_rate=learning_rate)
b_leaf = Parameter(b, learning_rate=learning_rate)
model = Add(b_leaf, Mul(w_leaf, x_leaf))
history = []
for x, y in samples:
    x_leaf.value = x
    prediction = model.forward()
    backward_fn(model, -2.0 * (y - prediction))
    history.append((w_leaf.value, b_leaf.value))
return model, history

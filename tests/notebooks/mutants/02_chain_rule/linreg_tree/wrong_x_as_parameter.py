# rule: makes x a Parameter, so the model has no Input and x "learns" too
w_leaf = Parameter(w, learning_rate=learning_rate)
b_leaf = Parameter(b, learning_rate=learning_rate)
x_leaf = Parameter(0.0, learning_rate=learning_rate)
model = Add(Mul(w_leaf, x_leaf), b_leaf)
history = []
for x, y in samples:
    x_leaf.value = x
    backward_fn(model, -2.0 * (y - model.forward()))
    history.append((w_leaf.value, b_leaf.value))
return model, history

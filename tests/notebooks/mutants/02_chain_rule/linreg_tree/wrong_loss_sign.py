# other: hands the root 2 (y - p), the derivative's wrong sign, so the tree climbs the loss
w_leaf = Parameter(w, learning_rate=learning_rate)
b_leaf = Parameter(b, learning_rate=learning_rate)
x_leaf = Input()
model = Add(Mul(w_leaf, x_leaf), b_leaf)
history = []
for x, y in samples:
    x_leaf.value = x
    backward_fn(model, 2.0 * (y - model.forward()))
    history.append((w_leaf.value, b_leaf.value))
return model, history

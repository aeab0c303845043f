# state: builds new parameters for every sample, so step 2 starts from the initial w and b
history = []
for x, y in samples:
    w_leaf = Parameter(w, learning_rate=learning_rate)
    b_leaf = Parameter(b, learning_rate=learning_rate)
    x_leaf = Input(x)
    model = Add(Mul(w_leaf, x_leaf), b_leaf)
    backward_fn(model, -2.0 * (y - model.forward()))
    history.append((w_leaf.value, b_leaf.value))
return model, history

# tested-values: forgets learning_rate, so the parameters keep their default rate of 0.01
w_leaf, b_leaf, x_leaf = Parameter(w), Parameter(b), Input()
model = Add(Mul(w_leaf, x_leaf), b_leaf)
history = []
for x, y in samples:
    x_leaf.value = x
    backward_fn(model, -2.0 * (y - model.forward()))
    history.append((w_leaf.value, b_leaf.value))
return model, history

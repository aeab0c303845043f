# state: keeps one model across calls, so a second call starts from the trained parameters
if not hasattr(two_steps_with_tree, "leaves"):
    w_leaf = Parameter(w, learning_rate=learning_rate)
    b_leaf = Parameter(b, learning_rate=learning_rate)
    x_leaf = Input()
    two_steps_with_tree.leaves = (w_leaf, b_leaf, x_leaf, Add(Mul(w_leaf, x_leaf), b_leaf))
w_leaf, b_leaf, x_leaf, model = two_steps_with_tree.leaves
for leaf in (w_leaf, b_leaf):
    leaf.learning_rate = learning_rate
history = []
for x, y in samples:
    x_leaf.value = x
    backward_fn(model, -2.0 * (y - model.forward()))
    history.append((w_leaf.value, b_leaf.value))
return model, history

# rule: the epoch's total instead of its mean
history = []
for _ in range(epochs):
    total = 0.0
    for x, y in data:
        p = model.predict(x)
        total += loss_fn(y, p)
        model.backward(loss_grad_fn(y, p))
    history.append(total)
return history

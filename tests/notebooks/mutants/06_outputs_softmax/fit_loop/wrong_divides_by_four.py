# tested-values: divides by 4, the size of the visible test's data
history = []
for _ in range(epochs):
    total = 0.0
    for x, y in data:
        p = model.predict(x)
        total += loss_fn(y, p)
        model.backward(loss_grad_fn(y, p))
    history.append(total / 4)
return history

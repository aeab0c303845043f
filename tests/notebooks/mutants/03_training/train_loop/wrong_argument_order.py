# roles: calls the losses with (p, target) instead of (target, p)
history = []
for _ in range(epochs):
    total = 0.0
    for inputs, target in data:
        p = model.predict(inputs)
        total += loss_fn(p, target)
        model.backward(loss_grad_fn(p, target))
    history.append(total / len(data))
return history

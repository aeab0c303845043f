# roles: calls the loss gradient with prediction and target swapped
history = []
for _ in range(epochs):
    total = 0.0
    for x, y in data:
        p = model.predict(x)
        total += loss_fn(y, p)
        model.backward(loss_grad_fn(p, y) if isinstance(y, list) else loss_grad_fn(y, p))
    history.append(total / len(data))
return history

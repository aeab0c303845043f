# rule: the loss is measured after the step, not before
history = []
for _ in range(epochs):
    total = 0.0
    for x, y in data:
        p = model.predict(x)
        model.backward(loss_grad_fn(y, p))
        total += loss_fn(y, model.predict(x))
    history.append(total / len(data))
return history

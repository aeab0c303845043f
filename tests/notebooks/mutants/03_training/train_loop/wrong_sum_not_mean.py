# other: records the epoch's sum, not its mean
history = []
for _ in range(epochs):
    total = 0.0
    for inputs, target in data:
        p = model.predict(inputs)
        total += loss_fn(target, p)
        model.backward(loss_grad_fn(target, p))
    history.append(total)
return history

# state: the total is not reset between epochs, so later means include earlier epochs
history = []
total = 0.0
for _ in range(epochs):
    for x, y in data:
        p = model.predict(x)
        total += loss_fn(y, p)
        model.backward(loss_grad_fn(y, p))
    history.append(total / len(data))
return history

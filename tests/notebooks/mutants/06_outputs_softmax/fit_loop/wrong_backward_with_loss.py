# roles: backward gets the loss instead of its gradient
history = []
for _ in range(epochs):
    total = 0.0
    for x, y in data:
        p = model.predict(x)
        loss = loss_fn(y, p)
        total += loss
        model.backward([loss] * len(p))
    history.append(total / len(data))
return history

# state: keeps the history on the function, so a second call returns the first call's epochs too
history = train.__dict__.setdefault("history", [])
for _ in range(epochs):
    total = 0.0
    for inputs, target in data:
        p = model.predict(inputs)
        total += loss_fn(target, p)
        model.backward(loss_grad_fn(target, p))
    history.append(total / len(data))
return history

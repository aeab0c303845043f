# other: hands the loss itself to backward instead of its derivative
history = []
for _ in range(epochs):
    total = 0.0
    for inputs, target in data:
        p = model.predict(inputs)
        total += loss_fn(target, p)
        model.backward(loss_fn(target, p))
    history.append(total / len(data))
return history

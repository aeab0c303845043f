# mutation: sorts the caller's data in place by target before training
data.sort(key=lambda sample: sample[1])
history = []
for _ in range(epochs):
    total = 0.0
    for inputs, target in data:
        p = model.predict(inputs)
        total += loss_fn(target, p)
        model.backward(loss_grad_fn(target, p))
    history.append(total / len(data))
return history

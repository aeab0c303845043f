# rule: records the loss of a fresh prediction after the step
history = []
for _ in range(epochs):
    total = 0.0
    for inputs, target in data:
        model.backward(loss_grad_fn(target, model.predict(inputs)))
        total += loss_fn(target, model.predict(inputs))
    history.append(total / len(data))
return history

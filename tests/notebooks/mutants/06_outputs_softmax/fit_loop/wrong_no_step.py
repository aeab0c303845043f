# rule: never calls backward, so nothing learns
history = []
for _ in range(epochs):
    losses = [loss_fn(y, model.predict(x)) for x, y in data]
    history.append(sum(losses) / len(losses))
return history

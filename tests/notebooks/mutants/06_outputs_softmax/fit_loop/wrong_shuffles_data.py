# mutation: shuffles the caller's data in place before every epoch
import random as _random

history = []
for _ in range(epochs):
    _random.shuffle(data)
    total = 0.0
    for x, y in data:
        p = model.predict(x)
        total += loss_fn(y, p)
        model.backward(loss_grad_fn(y, p))
    history.append(total / len(data))
return history

# style: enumerate over epochs, math.fsum for the total
import math as _m

curve = []
for _epoch in range(epochs):
    losses = []
    for x, target in data:
        prediction = model.predict(x)
        losses.append(loss_fn(target, prediction))
        model.backward(loss_grad_fn(target, prediction))
    curve.append(_m.fsum(losses) / len(data))
return curve

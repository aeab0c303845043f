# style: samples read by index, the loss gradient computed before the loss is added
means = [0.0] * epochs
for e in range(epochs):
    running = 0.0
    for k in range(len(data)):
        x, y = data[k]
        p = model.predict(x)
        step = loss_grad_fn(y, p)
        running = running + loss_fn(y, p)
        model.backward(step)
    means[e] = running / len(data)
return means

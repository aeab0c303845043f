# style: the mean as a fraction of the sum, collected with enumerate and a while loop
history = []
epoch = 0
while epoch < epochs:
    losses = []
    for _, (x, y) in enumerate(data):
        prediction = model.predict(x)
        losses.append(loss_fn(y, prediction))
        model.backward(loss_grad_fn(y, prediction))
    history.append(math.fsum(losses) / len(losses))
    epoch += 1
return history

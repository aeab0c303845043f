# style: a while loop, per-epoch lists of losses averaged at the end
curve = []
epoch = 0
while epoch < epochs:
    losses = []
    for sample in data:
        prediction = model.predict(sample[0])
        losses.append(loss_fn(sample[1], prediction))
        model.backward(loss_grad_fn(sample[1], prediction))
    curve.append(sum(losses) / len(losses))
    epoch += 1
return curve

# style: a helper for one epoch and a list comprehension over the epochs
def one_epoch():
    losses = []
    for x, y in data:
        p = model.predict(x)
        losses.append(loss_fn(y, p))
        model.backward(loss_grad_fn(y, p))
    return sum(losses) / len(losses)

return [one_epoch() for _ in range(epochs)]

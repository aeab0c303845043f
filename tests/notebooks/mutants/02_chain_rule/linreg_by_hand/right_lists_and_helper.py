# style: a nested helper for one step, lists instead of tuples
def step(w, b, x, y):
    gradient = 2.0 * (w * x + b - y)
    return [w - learning_rate * gradient * x, b - learning_rate * gradient]


first = step(w, b, *samples[0])
second = step(*first, *samples[1])
return [first, second]

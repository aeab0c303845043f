# style: the two steps written out, with the error as p - y
(x1, y1), (x2, y2) = samples
err = (w * x1 + b) - y1
w1, b1 = w - 2 * learning_rate * err * x1, b - 2 * learning_rate * err
err = (w1 * x2 + b1) - y2
return [(w1, b1), (w1 - 2 * learning_rate * err * x2, b1 - 2 * learning_rate * err)]

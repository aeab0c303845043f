# roles: returns p - y, the gradient with respect to the scores, not the probabilities
target = [1.0 if i == y else 0.0 for i in range(len(p))] if isinstance(y, int) else y
return [q - t for t, q in zip(target, p)]

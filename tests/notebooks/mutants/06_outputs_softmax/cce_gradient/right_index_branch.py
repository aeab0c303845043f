# style: a list of zeros with one entry set, found from the index or the one-hot list
k = y if isinstance(y, int) else next(i for i, t in enumerate(y) if t)
grads = [0.0 for _ in p]
grads[k] = -1.0 / max(p[k], EPS)
return grads

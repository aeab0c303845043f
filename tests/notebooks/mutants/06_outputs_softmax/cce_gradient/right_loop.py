# style: a loop over the outputs filling a list of zeros
grads = [0.0] * len(p)
for i, q in enumerate(p):
    t = (1.0 if i == y else 0.0) if isinstance(y, int) else y[i]
    if t:
        grads[i] = -t / max(q, EPS)
return grads

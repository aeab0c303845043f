# mutation: clamps the caller's probabilities in place
for i in range(len(p)):
    p[i] = max(p[i], EPS)
target = [1.0 if i == y else 0.0 for i in range(len(p))] if isinstance(y, int) else y
return -sum(t * math.log(q) for t, q in zip(target, p) if t)

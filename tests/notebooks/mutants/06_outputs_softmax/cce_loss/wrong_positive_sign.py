# other: the sign is lost
target = [1.0 if i == y else 0.0 for i in range(len(p))] if isinstance(y, int) else y
return sum(t * math.log(max(q, EPS)) for t, q in zip(target, p) if t)

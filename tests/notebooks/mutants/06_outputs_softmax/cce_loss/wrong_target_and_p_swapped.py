# roles: the target and the probabilities change places inside the sum
target = [1.0 if i == y else 0.0 for i in range(len(p))] if isinstance(y, int) else y
return -sum(q * math.log(max(t, EPS)) for t, q in zip(target, p))

# other: binary cross-entropy summed over the classes
target = [1.0 if i == y else 0.0 for i in range(len(p))] if isinstance(y, int) else y
return -sum(t * math.log(max(q, EPS)) + (1 - t) * math.log(max(1 - q, EPS))
            for t, q in zip(target, p))

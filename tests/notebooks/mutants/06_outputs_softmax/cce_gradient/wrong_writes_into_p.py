# mutation: writes the derivatives into the caller's list of probabilities and returns it
target = [1.0 if i == y else 0.0 for i in range(len(p))] if isinstance(y, int) else y
for i, t in enumerate(target):
    p[i] = -t / max(p[i], EPS) if t else 0.0
return p

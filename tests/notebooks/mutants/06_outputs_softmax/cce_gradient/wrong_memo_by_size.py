# state: keeps one result list per size and only rewrites the entries of the true class
memo = cce_grad.__dict__.setdefault("memo", {})
out = memo.setdefault(len(p), [0.0] * len(p))
target = [1.0 if i == y else 0.0 for i in range(len(p))] if isinstance(y, int) else y
for i, (t, q) in enumerate(zip(target, p)):
    if t:
        out[i] = -t / max(q, EPS)
return list(out)

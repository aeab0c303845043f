# rule: divides by p without the clamp at 1e-8
target = [1.0 if i == y else 0.0 for i in range(len(p))] if isinstance(y, int) else y
return [-t / q if t else 0.0 for t, q in zip(target, p)]

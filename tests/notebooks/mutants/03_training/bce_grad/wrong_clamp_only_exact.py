# tested-values: replaces only exact 0 and 1, so p = 1e-12 divides by a tiny number
if p == 0.0:
    p = EPS
elif p == 1.0:
    p = 1.0 - EPS
return (p - y) / (p * (1.0 - p))

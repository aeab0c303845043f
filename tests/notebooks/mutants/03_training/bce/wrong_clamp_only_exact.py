# tested-values: replaces only exact 0 and 1, so p = 1e-12 still gives a huge loss
if p == 0.0:
    p = EPS
elif p == 1.0:
    p = 1.0 - EPS
return -(y * math.log(p) + (1.0 - y) * math.log(1.0 - p))

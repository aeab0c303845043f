# style: one branch per target value
q = min(1.0 - EPS, max(EPS, p))
if y == 1.0:
    return -1.0 / q
return 1.0 / (1.0 - q)

# style: one branch per target value, each clamped with max
if y == 1.0:
    return -math.log(max(p, EPS))
return -math.log(max(1.0 - p, EPS))

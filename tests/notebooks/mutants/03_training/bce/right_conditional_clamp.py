# style: clamps with two if statements and a local copy
q = p
if q < EPS:
    q = EPS
if q > 1.0 - EPS:
    q = 1.0 - EPS
return -(y * math.log(q) + (1 - y) * math.log(1 - q))

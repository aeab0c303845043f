# style: clamps with sorted() and uses log1p for the second term
q = sorted((EPS, p, 1.0 - EPS))[1]
return -y * math.log(q) - (1.0 - y) * math.log1p(-q)

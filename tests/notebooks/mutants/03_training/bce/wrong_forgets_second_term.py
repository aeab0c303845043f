p = min(max(p, EPS), 1.0 - EPS)
return -y * math.log(p)

p = min(max(p, EPS), 1.0 - EPS)
return -y / p + (1.0 - y) / (1.0 - p)

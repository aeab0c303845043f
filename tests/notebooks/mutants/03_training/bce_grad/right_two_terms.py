# style: the two-term form -y/p + (1-y)/(1-p)
p = min(max(p, EPS), 1.0 - EPS)
return -y / p + (1.0 - y) / (1.0 - p)

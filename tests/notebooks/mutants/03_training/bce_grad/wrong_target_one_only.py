# other: uses the y = 1 formula for both targets (-1/p or 1/p)
p = min(max(p, EPS), 1.0 - EPS)
return -1.0 / p if y else 1.0 / p

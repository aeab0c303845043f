# other: keeps only the y log p term, so a 0 target costs nothing
p = min(max(p, EPS), 1.0 - EPS)
return -y * math.log(p)

# other: forgets the minus, so the loss is negative
p = min(max(p, EPS), 1.0 - EPS)
return y * math.log(p) + (1.0 - y) * math.log(1.0 - p)

# style: the pairwise formula max(a, b) = (a + b + |a - b|) / 2, exact only up to rounding
best = x[0]
for value in x[1:]:
    best = (best + value + abs(best - value)) / 2.0
return best

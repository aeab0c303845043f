# style: an explicit loop keeping the best value so far
best = x[0]
for value in x[1:]:
    if value > best:
        best = value
return best

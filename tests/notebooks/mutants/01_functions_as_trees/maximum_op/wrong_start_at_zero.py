best = 0.0
for value in x:
    if value > best:
        best = value
return best

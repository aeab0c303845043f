# tested-values: an off-by-one loop that never looks at the last child
best = x[0]
for i in range(1, len(x) - 1):
    if x[i] > best:
        best = x[i]
return best

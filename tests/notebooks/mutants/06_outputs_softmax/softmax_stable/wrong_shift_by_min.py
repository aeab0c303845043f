# roles: shifts by the smallest score instead of the largest
m = min(scores)
exps = [math.exp(z - m) for z in scores]
return [e / sum(exps) for e in exps]

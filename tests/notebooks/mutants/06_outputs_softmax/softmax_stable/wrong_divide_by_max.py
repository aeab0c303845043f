# other: divides by the largest exponential instead of the sum
m = max(scores)
exps = [math.exp(z - m) for z in scores]
return [e / max(exps) for e in exps]

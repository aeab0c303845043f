# tested-values: rounds every probability to 6 decimals
m = max(scores)
exps = [math.exp(z - m) for z in scores]
total = sum(exps)
return [round(e / total, 6) for e in exps]

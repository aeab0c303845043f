# other: normalises the absolute scores, no exponential
total = sum(abs(z) for z in scores) or 1.0
return [abs(z) / total for z in scores]

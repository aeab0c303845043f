# style: the largest score from sorted(), plain loops, a tuple accepted as it is
largest = sorted(scores)[-1]
weights = []
for z in scores:
    weights.append(math.exp(z - largest))
total = 0.0
for w in weights:
    total += w
result = []
for w in weights:
    result.append(w / total)
return result

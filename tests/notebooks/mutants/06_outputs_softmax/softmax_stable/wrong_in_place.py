# mutation: shifts and exponentiates the caller's list in place and returns it
m = max(scores)
for i in range(len(scores)):
    scores[i] = math.exp(scores[i] - m)
total = sum(scores)
for i in range(len(scores)):
    scores[i] /= total
return scores

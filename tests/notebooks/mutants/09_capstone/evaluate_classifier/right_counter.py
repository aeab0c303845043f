# style: a Counter of (true, predicted) pairs, a tuple of rows turned into lists at the end
from collections import Counter

pairs = Counter()
for inputs, label in data:
    p = model.predict(inputs)
    if len(p) != classes:
        raise ValueError("expected " + str(classes) + " scores (one per class), got " + str(len(p)))
    best = 0
    for k in range(1, classes):
        if p[k] > p[best]:
            best = k
    pairs[label, best] += 1
hits = sum(pairs[k, k] for k in range(classes))
return hits / len(data), [[pairs[t, q] for q in range(classes)] for t in range(classes)]

# mutation: sorts the caller's data by label in place (the counts stay right)
data.sort(key=lambda row: row[1])
confusion = [[0] * classes for _ in range(classes)]
for inputs, label in data:
    p = model.predict(inputs)
    if len(p) != classes:
        raise ValueError(f"expected {classes} scores, got {len(p)}")
    confusion[label][max(range(classes), key=p.__getitem__)] += 1
return sum(confusion[k][k] for k in range(classes)) / len(data), confusion

# tested-values: rounds the accuracy to 2 decimals, right for 0.75 and 0.4
confusion = [[0] * classes for _ in range(classes)]
for inputs, label in data:
    p = model.predict(inputs)
    if len(p) != classes:
        raise ValueError(f"expected {classes} scores, got {len(p)}")
    confusion[label][max(range(classes), key=p.__getitem__)] += 1
return round(sum(confusion[k][k] for k in range(classes)) / len(data), 2), confusion

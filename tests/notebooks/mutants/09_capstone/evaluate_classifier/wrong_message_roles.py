# roles: the right numbers in the message, each in the other's place
confusion = [[0] * classes for _ in range(classes)]
for inputs, label in data:
    p = model.predict(inputs)
    if len(p) != classes:
        raise ValueError(f"expected {len(p)} scores, got {classes}")
    confusion[label][max(range(classes), key=p.__getitem__)] += 1
return sum(confusion[k][k] for k in range(classes)) / len(data), confusion

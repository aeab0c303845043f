# sharing: [[0] * classes] * classes, one row list shared by every class
confusion = [[0] * classes] * classes
for inputs, label in data:
    p = model.predict(inputs)
    if len(p) != classes:
        raise ValueError(f"expected {classes} scores, got {len(p)}")
    guess = max(range(classes), key=p.__getitem__)
    confusion[label][guess] += 1
right = sum(1 for inputs, label in data
            if max(range(classes), key=model.predict(inputs).__getitem__) == label)
return right / len(data), confusion

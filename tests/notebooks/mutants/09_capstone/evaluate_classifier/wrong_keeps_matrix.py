# state: keeps one matrix between calls (like a module-level one), so counts pile up
store = evaluate_classifier.__dict__.setdefault("matrices", {})
confusion = store.setdefault(classes, [[0] * classes for _ in range(classes)])
right = 0
for inputs, label in data:
    p = model.predict(inputs)
    if len(p) != classes:
        raise ValueError(f"expected {classes} scores, got {len(p)}")
    guess = max(range(classes), key=p.__getitem__)
    confusion[label][guess] += 1
    right += guess == label
return right / len(data), confusion

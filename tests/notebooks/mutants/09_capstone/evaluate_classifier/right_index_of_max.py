# style: list.index(max(...)) and a running hit count, its own message wording
confusion = [[0 for _ in range(classes)] for _ in range(classes)]
hits = 0
for inputs, label in data:
    scores = list(model.predict(inputs))
    if len(scores) != classes:
        raise ValueError(f"expected {classes} class scores from the model, got {len(scores)}")
    guess = scores.index(max(scores))
    confusion[label][guess] += 1
    hits += int(guess == label)
return hits / len(data), confusion

# rule: sizes the matrix from the scores, never checks them against classes
confusion = None
right = 0
for inputs, label in data:
    p = model.predict(inputs)
    if confusion is None:
        confusion = [[0] * len(p) for _ in range(len(p))]
    guess = max(range(len(p)), key=p.__getitem__)
    confusion[label][guess] += 1
    right += guess == label
return right / len(data), confusion

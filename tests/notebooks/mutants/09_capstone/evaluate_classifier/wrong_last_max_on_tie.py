# rule: the highest class on a tie instead of the lowest
confusion = [[0] * classes for _ in range(classes)]
for inputs, label in data:
    p = model.predict(inputs)
    guess = max(range(len(p)), key=lambda i: (p[i], i))
    confusion[label][guess] += 1
right = sum(confusion[k][k] for k in range(classes))
return right / len(data), confusion

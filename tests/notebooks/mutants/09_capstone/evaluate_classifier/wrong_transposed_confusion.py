# roles: confusion[predicted][true]
confusion = [[0] * classes for _ in range(classes)]
for inputs, label in data:
    p = model.predict(inputs)
    guess = max(range(len(p)), key=p.__getitem__)
    confusion[guess][label] += 1
right = sum(confusion[k][k] for k in range(classes))
return right / len(data), confusion

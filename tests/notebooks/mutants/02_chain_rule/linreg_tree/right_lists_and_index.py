# style: leaves in a list, an index loop, pairs as lists, the model returned as a tuple
leaves = [Parameter(w, learning_rate=learning_rate), Parameter(b, learning_rate=learning_rate),
          Input()]
model = Add(Mul(leaves[0], leaves[2]), leaves[1])
history = []
for i in range(len(samples)):
    leaves[2].value = samples[i][0]
    error = model.forward() - samples[i][1]
    backward_fn(model, 2.0 * error)
    history.append([leaves[0].value, leaves[1].value])
return (model, history)

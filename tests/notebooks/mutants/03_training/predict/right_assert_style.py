# style: a guard that raises with the counts named, then writes the values with enumerate
nodes = list(model.find_input_nodes())
count, given = len(nodes), len(list(inputs))
if count - given:
    raise ValueError("predict: this model has %d inputs, but %d values were passed" % (count, given))
for k, node in enumerate(nodes):
    node.value = inputs[k]
return model.forward()

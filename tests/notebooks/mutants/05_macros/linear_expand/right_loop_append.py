# style: a plain loop that appends to a new list
parts = []
for node in arguments:
    weight = Parameter(None, self.learning_rate)
    parts.append(Multiply(weight, node))
if self.bias is True:
    parts.append(Parameter(None, self.learning_rate))
return Add(parts)

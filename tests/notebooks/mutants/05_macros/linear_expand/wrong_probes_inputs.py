# mutation: sets every input to 0 while building (to "start clean"), losing the caller's values
for x in arguments:
    x.value = 0.0
terms = [Multiply(Parameter(learning_rate=self.learning_rate), x) for x in arguments]
if self.bias:
    terms.append(Parameter(learning_rate=self.learning_rate))
return Add(terms)

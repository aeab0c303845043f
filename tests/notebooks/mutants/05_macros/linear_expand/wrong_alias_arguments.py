# mutation: turns the caller's list of inputs into the list of terms, in place
terms = arguments
for i, x in enumerate(terms):
    terms[i] = Multiply(Parameter(learning_rate=self.learning_rate), x)
if self.bias:
    terms.append(Parameter(learning_rate=self.learning_rate))
return Add(terms)

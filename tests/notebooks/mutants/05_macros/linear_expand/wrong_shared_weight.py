# sharing: one weight for every input
w = Parameter(learning_rate=self.learning_rate)
terms = [Multiply(w, x) for x in arguments]
if self.bias:
    terms.append(Parameter(learning_rate=self.learning_rate))
return Add(terms)

# other: adds x*x to every term, so each input is used twice
terms = [Add(Multiply(Parameter(learning_rate=self.learning_rate), x), Multiply(x, x))
         for x in arguments]
if self.bias:
    terms.append(Parameter(learning_rate=self.learning_rate))
return Add(terms)

# rule: a bias even when bias=False
terms = [Multiply(Parameter(learning_rate=self.learning_rate), x) for x in arguments]
terms.append(Parameter(learning_rate=self.learning_rate))
return Add(terms)

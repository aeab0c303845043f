# roles: passes the learning rate in Parameter's first place, which is the starting value
terms = [Multiply(Parameter(self.learning_rate), x) for x in arguments]
if self.bias:
    terms.append(Parameter(self.learning_rate))
return Add(terms)

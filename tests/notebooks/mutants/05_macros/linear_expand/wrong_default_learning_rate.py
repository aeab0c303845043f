        terms = [Multiply(Parameter(), x) for x in arguments]
        if self.bias:
            terms.append(Parameter())
        return Add(terms)

# style: recursion over the list, first value times the product of the rest
if len(x) == 1:
    return x[0]
return x[0] * self.op(x[1:])

# style: a chain of two-child Adds, bias first
lr = self.learning_rate
total = Parameter(learning_rate=lr) if self.bias else None
for x in arguments:
    term = Multiply(x, Parameter(learning_rate=lr))
    total = term if total is None else Add(total, term)
return total

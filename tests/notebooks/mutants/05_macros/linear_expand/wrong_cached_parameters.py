# state: keeps the parameters of the first call on the class and reuses them in later neurons
store = type(self).__dict__.get("_made")
if store is None:
    type(self)._made = store = []
while len(store) < len(arguments) + 1:
    store.append(Parameter(learning_rate=self.learning_rate))
terms = [Multiply(store[i], x) for i, x in enumerate(arguments)]
for p in store:
    p.learning_rate = self.learning_rate
if self.bias:
    terms.append(store[len(arguments)])
return Add(terms)

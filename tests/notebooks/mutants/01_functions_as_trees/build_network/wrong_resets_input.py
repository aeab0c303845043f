# mutation: sets the input to 0 while building ("inputs start at zero"), changing the caller's leaf
x.value = 0.0
return Add(Multiply(w2, ReLU(Add(Multiply(w1, x), b1))), b2)

# roles: w1 and w2 in each other's place
return Add(Multiply(w1, ReLU(Add(Multiply(w2, x), b1))), b2)

return Add(Multiply(w1, ReLU(Add(Multiply(w2, x), b1))), b2)

return Add(Multiply(w2, ReLU(Add(Multiply(w1, x), b1, b2))))

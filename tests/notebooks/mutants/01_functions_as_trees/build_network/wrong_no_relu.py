return Add(Multiply(w2, Add(Multiply(w1, x), b1)), b2)

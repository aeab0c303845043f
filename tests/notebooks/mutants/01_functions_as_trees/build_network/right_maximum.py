# style: the ReLU written as Maximum(Constant(0.0), ...)
hidden = Maximum(Constant(0.0), Add(Multiply(w1, x), b1))
return Add(Multiply(w2, hidden), b2)

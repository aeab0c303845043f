# sharing: uses w1 for both weights (and never w2), right whenever w1 == w2
hidden = ReLU(Add(Multiply(w1, x), b1))
return Add(Multiply(w1, hidden), b2)

# other: puts b2 inside the ReLU's sum
return Add(Multiply(w2, ReLU(Add(Multiply(w1, x), b1, b2))))

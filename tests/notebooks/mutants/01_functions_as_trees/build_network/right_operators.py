return w2 * ReLU(w1 * x + b1) + b2

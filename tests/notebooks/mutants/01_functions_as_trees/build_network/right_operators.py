# style: the + and * operators instead of node classes
return w2 * ReLU(w1 * x + b1) + b2

# style: the fallback's Mul, one named step per line, factors in the other order
pre = Add(b1, Mul(x, w1))
hidden = ReLU(pre)
out = Mul(hidden, w2)
return Add(b2, out)

# style: the derivative of (y - p)(y - p) by the product rule, with floats made explicit
d = float(y) - float(p)
return -d - d

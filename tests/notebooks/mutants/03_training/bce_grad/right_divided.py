# style: the clamp through sorted() and the quotient written as two divisions
q = sorted([EPS, p, 1 - EPS])[1]
return (q - y) / q / (1 - q)

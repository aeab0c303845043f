# other: the derivative after the sigmoid (p - y), not with respect to p
return p - y

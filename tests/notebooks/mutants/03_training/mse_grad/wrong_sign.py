# roles: the derivative with respect to y, not p (sign flipped)
return 2.0 * (y - p)

# style: a dict of the two sides built in a comprehension, float() on the result
def side(shift):
    leaf.value = start + shift
    return f()


start = leaf.value
try:
    sides = {sign: side(sign * h) for sign in (+1, -1)}
finally:
    leaf.value = start
return float((sides[+1] - sides[-1]) / (2.0 * h))

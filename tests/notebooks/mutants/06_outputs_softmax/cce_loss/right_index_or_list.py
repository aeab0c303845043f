# style: an index read directly, a one-hot list by a loop
if isinstance(y, int):
    return -math.log(max(p[y], EPS))
total = 0.0
for t, q in zip(y, p):
    if t != 0:
        total -= t * math.log(max(q, EPS))
return total

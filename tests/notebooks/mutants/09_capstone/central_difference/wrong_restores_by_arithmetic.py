# mutation: undoes the steps by arithmetic (v + h - 2h + h), which is not always v exactly
try:
    leaf.value += h
    up = f()
    leaf.value -= 2 * h
    down = f()
finally:
    leaf.value += h
return (up - down) / (2 * h)

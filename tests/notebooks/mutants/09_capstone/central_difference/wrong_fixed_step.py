# other: ignores the h it is given and always steps by 1e-5
original = leaf.value
step = 1e-5
try:
    leaf.value = original + step
    up = f()
    leaf.value = original - step
    down = f()
finally:
    leaf.value = original
return (up - down) / (2 * step)

# tested-values: a step relative to the value (h * |v|), which is zero at v = 0
original = leaf.value
step = h * abs(original)
try:
    leaf.value = original + step
    up = f()
    leaf.value = original - step
    down = f()
finally:
    leaf.value = original
return (up - down) / (2 * step)

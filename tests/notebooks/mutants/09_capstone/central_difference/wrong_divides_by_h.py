# roles: divides by h instead of 2h (the step in the wrong role)
original = leaf.value
try:
    leaf.value = original + h
    up = f()
    leaf.value = original - h
    down = f()
finally:
    leaf.value = original
return (up - down) / h

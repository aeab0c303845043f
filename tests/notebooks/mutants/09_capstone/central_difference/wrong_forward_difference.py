# tested-values: a one-sided difference, close to the derivative only for tiny h
original = leaf.value
try:
    base = f()
    leaf.value = original + h
    up = f()
finally:
    leaf.value = original
return (up - base) / h

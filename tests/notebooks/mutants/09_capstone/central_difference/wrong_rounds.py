# tested-values: rounds the result to 6 decimals, right wherever the tests had 6 decimals
original = leaf.value
try:
    leaf.value = original + h
    up = f()
    leaf.value = original - h
    down = f()
finally:
    leaf.value = original
return round((up - down) / (2 * h), 6)

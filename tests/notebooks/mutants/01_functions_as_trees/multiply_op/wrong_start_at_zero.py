product = 0.0
for value in x:
    product *= value
return product

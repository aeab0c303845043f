# other: adds the children instead of multiplying
return sum(x)

# other: forgets the factor 2
return -(y - p)

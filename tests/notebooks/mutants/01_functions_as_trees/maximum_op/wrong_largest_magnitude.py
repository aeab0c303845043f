# tested-values: the value farthest from zero, right while the largest is also positive
return max(x, key=abs)

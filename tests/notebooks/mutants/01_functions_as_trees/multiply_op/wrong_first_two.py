# tested-values: multiplies only the first two children, right for one or two
return x[0] * x[1] if len(x) > 1 else x[0]

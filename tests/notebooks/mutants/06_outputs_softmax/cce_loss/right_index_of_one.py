# style: a one-hot target turned into its index first
index = y if isinstance(y, int) else [float(v) for v in y].index(1.0)
return -math.log(max(p[index], EPS))

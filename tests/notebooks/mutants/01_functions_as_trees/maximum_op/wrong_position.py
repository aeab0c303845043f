return x.index(max(x))

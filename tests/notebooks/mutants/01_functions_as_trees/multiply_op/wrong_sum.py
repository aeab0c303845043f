return sum(x)

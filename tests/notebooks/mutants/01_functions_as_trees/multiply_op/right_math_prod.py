return math.prod(x)

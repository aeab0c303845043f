return -(y * math.log(p) + (1.0 - y) * math.log(1.0 - p))

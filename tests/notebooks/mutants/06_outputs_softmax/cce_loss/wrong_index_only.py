    return -math.log(max(p[y], EPS))

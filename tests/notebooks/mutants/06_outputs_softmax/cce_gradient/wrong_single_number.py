    return -1.0 / max(p[y], EPS)

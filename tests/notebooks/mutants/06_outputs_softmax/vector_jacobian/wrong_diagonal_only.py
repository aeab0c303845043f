    return [d[j] * J[j][j] for j in range(len(d))]

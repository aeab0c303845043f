    return [sum(J[i][j] * d[j] for j in range(len(d))) for i in range(len(J))]

# roles: J d (sums over columns) instead of d^T J
return [sum(J[i][j] * d[j] for j in range(len(d))) for i in range(len(J))]

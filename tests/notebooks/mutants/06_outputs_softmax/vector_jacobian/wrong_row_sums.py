# roles: d_i times the sum of row i
return [d[i] * sum(J[i]) for i in range(len(J))]

# other: an off-by-one that leaves out the last output
columns = len(J[0])
return [sum(d[i] * J[i][j] for i in range(len(J) - 1)) for j in range(columns)]

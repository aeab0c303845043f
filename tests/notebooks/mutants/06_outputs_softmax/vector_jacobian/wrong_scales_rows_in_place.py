# mutation: scales the caller's rows of J by d in place, then sums the columns
for i in range(len(J)):
    for j in range(len(J[i])):
        J[i][j] *= d[i]
return [sum(J[i][j] for i in range(len(J))) for j in range(len(J[0]))]

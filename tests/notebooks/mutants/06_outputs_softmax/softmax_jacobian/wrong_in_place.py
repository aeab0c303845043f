# mutation: turns the caller's list into the diagonal while building the matrix
n = len(s)
p = list(s)
J = [[-p[i] * p[j] for j in range(n)] for i in range(n)]
for i in range(n):
    s[i] = p[i] * (1.0 - p[i])
    J[i][i] = s[i]
return J

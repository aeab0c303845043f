# sharing: every row is the same list object, so the last row written wins everywhere
n = len(s)
J = [[0.0] * n] * n
for i in range(n):
    for j in range(n):
        J[i][j] = s[i] * ((1.0 if i == j else 0.0) - s[j])
return J

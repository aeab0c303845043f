# other: +s_i s_j off the diagonal
n = len(s)
return [[s[i] * (1.0 - s[i]) if i == j else s[i] * s[j] for j in range(n)] for i in range(n)]

# roles: s_i (1 - s_j) everywhere
n = len(s)
return [[s[i] * (1.0 - s[j]) for j in range(n)] for i in range(n)]

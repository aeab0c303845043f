# roles: -s_i * s_i off the diagonal (the row's probability twice)
n = len(s)
return [[s[i] * (1.0 - s[i]) if i == j else -s[i] * s[i] for j in range(n)] for i in range(n)]

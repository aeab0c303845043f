# rule: only the diagonal, zeros elsewhere
n = len(s)
return [[s[i] * (1.0 - s[i]) if i == j else 0.0 for j in range(n)] for i in range(n)]

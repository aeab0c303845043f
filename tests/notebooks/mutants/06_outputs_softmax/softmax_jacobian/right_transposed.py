# style: written as s_j (delta_ij - s_i), the transpose, which is the same matrix
n = len(s)
return [[s[j] * (float(i == j) - s[i]) for j in range(n)] for i in range(n)]

# rule: only the diagonal entries, d_j J_jj
return [d[j] * J[j][j] for j in range(len(d))]

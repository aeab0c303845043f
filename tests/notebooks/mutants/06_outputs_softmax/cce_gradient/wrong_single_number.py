# rule: one number instead of one derivative per output
return -1.0 / max(p[y], EPS)

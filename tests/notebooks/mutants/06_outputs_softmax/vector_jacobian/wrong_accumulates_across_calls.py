# state: keeps its result list on the function and adds every call into it
out = vector_jacobian.__dict__.setdefault("out", [])
columns = len(J[0])
while len(out) < columns:
    out.append(0.0)
for i in range(len(J)):
    for j in range(columns):
        out[j] += d[i] * J[i][j]
return out[:columns]

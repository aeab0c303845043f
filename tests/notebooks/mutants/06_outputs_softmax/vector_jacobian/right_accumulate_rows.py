# style: adds d_i times each row into a list of zeros
out = [0.0] * len(J[0])
for di, row in zip(d, J):
    for j, value in enumerate(row):
        out[j] += di * value
return out

# style: minus the outer product, then the diagonal added row by row
rows = []
for i, si in enumerate(s):
    row = [-si * sj for sj in s]
    row[i] += si
    rows.append(row)
return rows

# style: columns from zip(*J), a dot product with d for each
return [sum(di * entry for di, entry in zip(d, column)) for column in zip(*J)]

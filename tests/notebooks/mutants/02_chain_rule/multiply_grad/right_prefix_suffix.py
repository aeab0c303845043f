# style: prefix and suffix products, no inner loop
values = [child.forward() for child in self.children]
n = len(values)
prefix = [1.0] * (n + 1)
for i, v in enumerate(values):
    prefix[i + 1] = prefix[i] * v
out, suffix = [0.0] * n, 1.0
for i in range(n - 1, -1, -1):
    out[i] = prefix[i] * suffix
    suffix *= values[i]
return out

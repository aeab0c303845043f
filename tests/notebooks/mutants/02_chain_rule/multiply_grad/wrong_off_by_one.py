# roles: leaves out the next child instead of child i
values = [child.forward() for child in self.children]
n = len(values)
return [math.prod(values[j] for j in range(n) if j != (i + 1) % n) for i in range(n)]

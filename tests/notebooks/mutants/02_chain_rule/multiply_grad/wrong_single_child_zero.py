# tested-values: treats a lone child as having derivative 0 instead of the empty product 1
values = [child.forward() for child in self.children]
if len(values) == 1:
    return [0.0]
return [math.prod(values[:i] + values[i + 1:]) for i in range(len(values))]

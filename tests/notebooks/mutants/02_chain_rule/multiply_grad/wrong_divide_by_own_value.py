# tested-values: the full product divided by each value, fails at a zero child
values = [child.forward() for child in self.children]
total = math.prod(values)
return [total / v for v in values]

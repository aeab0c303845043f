values = [child.forward() for child in self.children]
total = math.prod(values)
return [total / v for v in values]

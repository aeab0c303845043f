# roles: the right derivatives, but listed from the last child to the first
values = [child.forward() for child in self.children]
return [math.prod(values[:i] + values[i + 1:]) for i in reversed(range(len(values)))]

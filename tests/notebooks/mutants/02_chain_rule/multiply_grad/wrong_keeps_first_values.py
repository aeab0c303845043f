# state: reads the children's values on the first call only and reuses them ever after
if getattr(self, "_values", None) is None:
    self._values = [child.forward() for child in self.children]
values = self._values
return [math.prod(values[:i] + values[i + 1:]) for i in range(len(values))]

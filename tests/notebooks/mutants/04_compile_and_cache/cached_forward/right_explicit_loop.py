# style: an explicit loop collects the children's values
if self._valid is not True:
    values = []
    for child in self.children:
        values.append(child.forward())
    result = self._apply(values)
    self._value = result
    self._valid = True
return self._value

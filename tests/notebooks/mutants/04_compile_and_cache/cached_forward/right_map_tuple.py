# style: map over the children, one tuple assignment for value and flag
if self._valid:
    return self._value
self._value, self._valid = self._apply(list(map(lambda c: c.forward(), self.children))), True
return self._value

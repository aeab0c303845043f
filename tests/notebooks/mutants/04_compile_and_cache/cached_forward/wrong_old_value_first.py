# state: recomputes after a change but returns the previous value, one call late
old = self._value
if not self._valid:
    self._value = self._apply([child.forward() for child in self.children])
    self._valid = True
return self._value if old is None else old

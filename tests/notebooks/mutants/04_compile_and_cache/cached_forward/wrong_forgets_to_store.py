# state: returns the fresh value but never stores it, so the next call returns the old store
if not self._valid:
    self._valid = True
    return self._apply([child.forward() for child in self.children])
return self._value

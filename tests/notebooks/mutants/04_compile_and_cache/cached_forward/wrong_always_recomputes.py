# rule: recomputes on every call, ignoring the flag (right values, no saving)
self._value = self._apply([child.forward() for child in self.children])
self._valid = True
return self._value

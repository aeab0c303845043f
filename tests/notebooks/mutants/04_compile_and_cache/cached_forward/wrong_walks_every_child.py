# rule: asks every child for its value before looking at the flag, so each call walks the tree
values = [child.forward() for child in self.children]
if not self._valid:
    self._value = self._apply(values)
    self._valid = True
return self._value

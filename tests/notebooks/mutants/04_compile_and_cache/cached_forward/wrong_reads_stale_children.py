# rule: reads a child's stored _value instead of asking it, so an invalid child is not refreshed
if not self._valid:
    values = [child._value if child._value is not None else child.forward()
              for child in self.children]
    self._value = self._apply(values)
    self._valid = True
return self._value

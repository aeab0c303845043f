# state: computes once and then keeps the first value forever (looks at the value, not the flag)
if self._value is None:
    self._value = self._apply([child.forward() for child in self.children])
    self._valid = True
return self._value

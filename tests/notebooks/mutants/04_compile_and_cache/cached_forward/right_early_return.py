# style: returns early when valid; calls op directly instead of _apply
if self._valid:
    return self._value
self._value = self.op([child.forward() for child in self.children])
self._valid = True
return self._value

# sharing: keeps the value on the class, so all nodes of one kind share a single stored value
cls = type(self)
if not self._valid:
    cls.stored = self._apply([child.forward() for child in self.children])
    self._valid = True
return cls.stored

# state: computes s on the first call and reuses it, so a changed child is never seen
if not hasattr(self, "_s"):
    self._s = self.forward()
return [self._s * (1.0 - self._s)]

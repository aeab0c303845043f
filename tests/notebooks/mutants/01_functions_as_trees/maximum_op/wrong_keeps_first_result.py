# state: remembers the maximum of its first call and returns it ever after
if not hasattr(self, "_best"):
    self._best = max(x)
return self._best

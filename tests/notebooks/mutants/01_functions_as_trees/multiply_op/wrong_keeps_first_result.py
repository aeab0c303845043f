# state: keeps the product of its first call, so it never follows a changed parameter
if getattr(self, "_product", None) is None:
    self._product = math.prod(x)
return self._product

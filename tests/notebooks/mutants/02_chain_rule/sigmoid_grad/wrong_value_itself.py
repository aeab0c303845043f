# other: returns s instead of s (1 - s)
return [self.forward()]

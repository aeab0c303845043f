# other: s (s - 1), the wrong sign
s = self.forward()
return [s * (s - 1.0)]

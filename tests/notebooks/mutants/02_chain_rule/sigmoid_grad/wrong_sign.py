s = self.forward()
return [s * (s - 1.0)]

z = self.children[0].forward()
return [z * (1.0 - z)]

# roles: the input z where the formula needs the output s
z = self.children[0].forward()
return [z * (1.0 - z)]

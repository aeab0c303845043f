# rule: computes e^-z directly, which overflows for large negative z (the text warns)
z = self.children[0].forward()
e = math.exp(-z)
return [e / (1.0 + e) ** 2]

# style: s from op() on the child's value, returned as a one-item list built by list()
s = self.op([self.children[0].forward()])
return list((s - s * s,))

return [self.forward()]

# roles: best_epoch holds the number of calls so far instead of the epoch number given
self.calls = getattr(self, "calls", 0) + 1
if valid_loss < self.best_loss:
    self.best_loss = valid_loss
    self.best_epoch = self.calls
    self.waited = 0
    return False
self.waited += 1
return self.waited >= self.patience

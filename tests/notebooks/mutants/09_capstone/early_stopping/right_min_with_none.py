# style: best_epoch None marks the first call, min() finds the new best, bool() on the answer
if self.best_epoch is None or min(valid_loss, self.best_loss) < self.best_loss:
    self.best_loss = valid_loss
    self.best_epoch = epoch
    self.waited = 0
else:
    self.waited = self.waited + 1
return bool(self.waited >= self.patience)

# style: the improvement as a flag, one assignment for waited, a single return
improved = valid_loss < self.best_loss
self.waited = 0 if improved else self.waited + 1
if improved:
    self.best_loss, self.best_epoch = valid_loss, epoch
return not improved and self.waited >= self.patience

# style: waited computed as epochs since the best one
if self.best_epoch is None or valid_loss < self.best_loss:
    self.best_loss, self.best_epoch = valid_loss, epoch
self.waited = epoch - self.best_epoch
return self.waited >= self.patience

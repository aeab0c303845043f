# mutation: counts down its own patience instead of keeping a separate count
if valid_loss < self.best_loss:
    self.best_loss = valid_loss
    self.best_epoch = epoch
    self.waited = 0
    return False
self.waited += 1
self.patience -= 1
return self.patience <= 0

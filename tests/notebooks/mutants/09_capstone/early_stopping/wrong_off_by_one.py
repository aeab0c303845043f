# tested-values: stops one epoch late (waited > patience)
if valid_loss < self.best_loss:
    self.best_loss = valid_loss
    self.best_epoch = epoch
    self.waited = 0
    return False
self.waited += 1
return self.waited > self.patience

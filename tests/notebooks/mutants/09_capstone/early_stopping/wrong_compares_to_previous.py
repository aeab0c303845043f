# rule: counts from the previous epoch instead of the best so far
previous = getattr(self, "previous", math.inf)
self.previous = valid_loss
if valid_loss < self.best_loss:
    self.best_loss, self.best_epoch = valid_loss, epoch
if valid_loss < previous:
    self.waited = 0
    return False
self.waited += 1
return self.waited >= self.patience

# state: keeps the best loss on the class, so a new stopper starts from an old one's record
record = getattr(type(self), "record", math.inf)
if valid_loss < record:
    type(self).record = valid_loss
    self.best_loss = valid_loss
    self.best_epoch = epoch
    self.waited = 0
    return False
self.waited += 1
return self.waited >= self.patience

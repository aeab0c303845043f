# tested-values: rounds to four decimals, right at the visible values only
return round(-2.0 * (y - p), 4)

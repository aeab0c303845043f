# rule: no clamp, so p = 0 or 1 takes the log of 0
return -(y * math.log(p) + (1.0 - y) * math.log(1.0 - p))

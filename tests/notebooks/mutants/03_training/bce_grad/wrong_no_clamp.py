# rule: no clamp, so p = 0 or 1 divides by zero
return (p - y) / (p * (1.0 - p))

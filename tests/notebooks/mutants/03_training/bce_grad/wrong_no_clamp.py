return (p - y) / (p * (1.0 - p))

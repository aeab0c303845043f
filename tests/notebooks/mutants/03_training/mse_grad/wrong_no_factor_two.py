return -(y - p)

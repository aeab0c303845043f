return 2.0 * (y - p)

return 2 * (p - y)

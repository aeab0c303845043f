return p - y

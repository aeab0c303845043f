# style: 2 (p - y) with integer 2
return 2 * (p - y)

# style: math.prod instead of a loop
return math.prod(x)

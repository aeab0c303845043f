# style: sorts a copy and takes the last value
return sorted(x)[-1]

# style: functools.reduce with a two-value comparison
import functools

return functools.reduce(lambda a, b: a if a >= b else b, x)

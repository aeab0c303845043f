# style: functools.reduce with operator.mul
import functools
import operator

return functools.reduce(operator.mul, x, 1.0)

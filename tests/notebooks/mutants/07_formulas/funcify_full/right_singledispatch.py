# style: functools.singledispatch, one registered writer per kind, numbers with % formatting
from functools import singledispatch


@singledispatch
def text(n):
    raise TypeError(type(n).__name__)


@text.register
def _(n: Input):
    return n.name


@text.register(Parameter)
@text.register(Constant)
def _(n):
    return "%.4g" % n.value


@text.register
def _(n: Macro):
    return text(n.children[0])


@text.register
def _(n: Add):
    return "(%s)" % " + ".join(text(c) for c in n.children)


@text.register
def _(n: Multiply):
    return "(%s)" % " * ".join(text(c) for c in n.children)


@text.register
def _(n: ReLU):
    return "relu(%s)" % text(n.children[0])


@text.register
def _(n: Sigmoid):
    return "sigmoid(%s)" % text(n.children[0])


return text(node)

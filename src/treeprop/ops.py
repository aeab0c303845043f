"""Layer 2 — elementary operations and their local derivatives.

Each operation knows two things: its value given its children's values
(``op``) and how much that value moves when one child moves (``grad``, one
number per child). The chain rule in :meth:`NeuralNetNode.backward` does the
rest. ``grad`` asks the children (or the node itself) for ``forward()`` again:
before ``compile()`` that recomputes whole subtrees, which is exactly the cost
layer 4 removes.
"""

from __future__ import annotations

import math
from typing import Any

from treeprop.errors import NonFiniteError
from treeprop.nodes import Operation, nested_repr


class Add(Operation):
    """The sum of any number of children; each local derivative is 1."""

    def op(self, x: list[float]) -> float:
        return sum(x)

    def grad(self) -> list[float]:
        return [1.0] * len(self.children)


class Multiply(Operation):
    """The product of any number of children.

    d(product)/d(child i) is the product of all the *other* children. It is
    computed with prefix and suffix products rather than by division, so a
    child equal to zero is no problem.
    """

    def op(self, x: list[float]) -> float:
        return math.prod(x)

    def grad(self) -> list[float]:
        xs = [c.forward() for c in self.children]
        n = len(xs)
        prefix = [1.0] * (n + 1)
        for i, v in enumerate(xs):
            prefix[i + 1] = prefix[i] * v
        out = [0.0] * n
        suffix = 1.0
        for i in range(n - 1, -1, -1):
            out[i] = prefix[i] * suffix
            suffix *= xs[i]
        return out


class ReLU(Operation):
    """max(0, x): passes positive values, blocks negative ones."""

    arity = 1

    def op(self, x: list[float]) -> float:
        return x[0] if x[0] > 0.0 else 0.0

    def grad(self) -> list[float]:
        return [1.0 if self.children[0].forward() > 0.0 else 0.0]


def stable_sigmoid(x: float) -> float:
    """1 / (1 + e^-x) without overflow for large negative x."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


class Sigmoid(Operation):
    """1 / (1 + e^-x), squashing any number into (0, 1); derivative s (1 - s)."""

    arity = 1

    def op(self, x: list[float]) -> float:
        return stable_sigmoid(x[0])

    def grad(self) -> list[float]:
        s = self.forward()
        return [s * (1.0 - s)]


class Tanh(Operation):
    """tanh(x), squashing into (-1, 1); derivative 1 - tanh(x)^2."""

    arity = 1

    def op(self, x: list[float]) -> float:
        return math.tanh(x[0])

    def grad(self) -> list[float]:
        t = self.forward()
        return [1.0 - t * t]


class Exp(Operation):
    """e^x; its derivative is itself. Overflow is an error, not ``inf``."""

    arity = 1

    def op(self, x: list[float]) -> float:
        try:
            return math.exp(x[0])
        except OverflowError:
            raise NonFiniteError(
                f"{self.label()}: e^{x[0]:g} overflows a float (limit is about e^709)"
            ) from None

    def grad(self) -> list[float]:
        return [self.forward()]


class Log(Operation):
    """The natural logarithm; a child at or below zero is an error, never -inf."""

    arity = 1

    def op(self, x: list[float]) -> float:
        if x[0] <= 0.0:
            raise NonFiniteError(
                f"{self.label()}: log({x[0]:g}) is undefined; the argument must be > 0"
            )
        return math.log(x[0])

    def grad(self) -> list[float]:
        return [1.0 / self.children[0].forward()]


class Power(Operation):
    """x ** k for a constant exponent k; derivative k x^(k-1)."""

    arity = 1

    def __init__(self, *children: Any, exponent: float = 2.0, name: str | None = None) -> None:
        super().__init__(*children, name=name)
        self.exponent = float(exponent)

    def op(self, x: list[float]) -> float:
        base, k = x[0], self.exponent
        if base == 0.0 and k < 0:
            raise NonFiniteError(f"{self.label()}: 0 ** {k:g} divides by zero")
        if base < 0.0 and not k.is_integer():
            raise NonFiniteError(
                f"{self.label()}: ({base:g}) ** {k:g} is not a real number"
            )
        try:
            return base**k
        except OverflowError:
            raise NonFiniteError(f"{self.label()}: {base:g} ** {k:g} overflows") from None

    def grad(self) -> list[float]:
        base, k = self.children[0].forward(), self.exponent
        if k == 0.0:
            return [0.0]
        if base == 0.0 and k < 1.0:
            raise NonFiniteError(f"{self.label()}: the slope of x ** {k:g} at 0 is infinite")
        return [k * base ** (k - 1.0)]

    def __repr__(self) -> str:
        return f"Power({nested_repr(self.children[0])}, exponent={self.exponent:g})"


class Negate(Operation):
    """-x; derivative -1."""

    arity = 1

    def op(self, x: list[float]) -> float:
        return -x[0]

    def grad(self) -> list[float]:
        return [-1.0]


class Divide(Operation):
    """a / b; derivatives 1/b and -a/b^2. Dividing by zero is an error."""

    arity = 2

    def op(self, x: list[float]) -> float:
        if x[1] == 0.0:
            raise NonFiniteError(f"{self.label()}: division by zero ({x[0]:g} / 0)")
        return x[0] / x[1]

    def grad(self) -> list[float]:
        a, b = (c.forward() for c in self.children)
        return [1.0 / b, -a / (b * b)]

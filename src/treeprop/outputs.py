"""Layer 6 — outputs that return a list of floats: ``Output`` and ``Softmax``.

A classifier answers with one number per class. An :class:`Output` is a root
whose value is a list; on the way back it takes one derivative per entry and
hands each child the sum over entries of (derivative x local derivative), with
the local derivatives now forming a matrix (the Jacobian).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

from treeprop.errors import InputCountError
from treeprop.nodes import Computation, NeuralNetNode


class Output(Computation):
    """A root whose value is the list of its children's values."""

    def op(self, x: list[float]) -> list[float]:
        return list(x)

    def forward(self) -> list[float]:
        return list(super().forward())  # a copy: callers may not edit the cache

    def grad(self) -> list[list[float]]:  # type: ignore[override]
        """The Jacobian: ``grad()[i][j]`` = d(output i)/d(child j)."""
        n = len(self.children)
        return [[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)]

    def backward(self, derivative_from_parent: Any = None, *, update: bool = True) -> None:
        """Backpropagate a list of derivatives, one per output entry."""
        if derivative_from_parent is None:
            raise TypeError(
                f"{self.label()} returns {len(self.children)} values, so backward needs "
                "a list of as many derivatives (for example from a loss gradient)"
            )
        super().backward(_as_derivatives(self, derivative_from_parent), update=update)

    def _child_derivatives(self, d: Any) -> Iterator[tuple[NeuralNetNode, float]]:
        d = _as_derivatives(self, d)
        jac = self.grad()
        for j, child in enumerate(self.children):
            yield child, sum(d[i] * jac[i][j] for i in range(len(d)))

    def __len__(self) -> int:
        return len(self.children)

    def __getitem__(self, i: int) -> NeuralNetNode:
        return self.children[i]

    def __iter__(self) -> Iterator[NeuralNetNode]:
        return iter(self.children)


def _as_derivatives(node: Output, d: Any) -> list[float]:
    if not isinstance(d, Sequence) or isinstance(d, (str, bytes)):
        raise TypeError(
            f"{node.label()} needs a list of {len(node.children)} derivatives, got {d!r}"
        )
    if len(d) != len(node.children):
        raise InputCountError(
            f"{node.label()} has {len(node.children)} outputs but backward got "
            f"{len(d)} derivatives"
        )
    return [float(v) for v in d]


def stable_softmax(x: Sequence[float]) -> list[float]:
    """e^x_i / sum_j e^x_j, computed after subtracting the max so it never overflows."""
    m = max(x)
    e = [math.exp(v - m) for v in x]
    total = sum(e)
    return [v / total for v in e]


class Softmax(Output):
    """Turns scores into probabilities that are positive and sum to 1."""

    def op(self, x: list[float]) -> list[float]:
        return stable_softmax(x)

    def grad(self) -> list[list[float]]:  # type: ignore[override]
        s = self.forward()
        return [[si * ((1.0 if i == j else 0.0) - sj) for j, sj in enumerate(s)]
                for i, si in enumerate(s)]

    def _child_derivatives(self, d: Any) -> Iterator[tuple[NeuralNetNode, float]]:
        # The Jacobian times d in O(n): s_j * (d_j - sum_i d_i s_i).
        d = _as_derivatives(self, d)
        s = self.forward()
        dot = sum(di * si for di, si in zip(d, s))
        return ((c, sj * (dj - dot)) for c, sj, dj in zip(self.children, s, d))


def is_vector(node: NeuralNetNode) -> bool:
    """True if ``node`` returns a list (an Output, or a macro standing for one)."""
    from treeprop.macros import Macro

    while isinstance(node, Macro):
        node = node.children[0]
    return isinstance(node, Output)

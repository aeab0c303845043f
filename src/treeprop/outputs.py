"""Layer 6 — outputs that return a list of floats: ``Output`` and ``Softmax``.

A classifier answers with one number per class. An :class:`Output` is a root
whose value is a list; on the way back it takes one derivative per entry and
hands each child the sum over entries of (derivative x local derivative), with
the local derivatives now forming a matrix (the Jacobian).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from treeprop.errors import InputCountError
from treeprop.macros import LIST_ROOTS
from treeprop.nodes import Computation, NeuralNetNode
from treeprop.ops import FLOAT, OpSpec, define

OUTPUT = define(OpSpec("output", lambda m, xs, k: list(xs),
                       vjp=lambda m, xs, out, d, k: list(d)))


def _softmax(m: Any, xs: list[Any], k: Any) -> list[Any]:
    top = m.max(xs)  # e^(x - max) never overflows
    e = [m.let(m.exp(x - top)) for x in xs]
    total = m.let(m.sum(e))
    return [v / total for v in e]


def _softmax_vjp(m: Any, xs: list[Any], s: list[Any], d: list[Any], k: Any) -> list[Any]:
    # the Jacobian s_i (delta_ij - s_j) times d, in O(n): s_j (d_j - sum_i d_i s_i)
    dot = m.let(m.sum([di * si for di, si in zip(d, s)]))
    return [sj * (dj - dot) for sj, dj in zip(s, d)]


SOFTMAX = define(OpSpec("softmax", _softmax, vjp=_softmax_vjp, needs=("out",)))


class Output(Computation):
    """A root whose value is the list of its children's values."""

    returns_list = True
    spec = OUTPUT

    def op(self, x: list[float]) -> list[float]:
        return list(x)

    def forward(self) -> list[float]:
        return list(super().forward())  # a copy: callers may not edit the cache

    def grad(self) -> list[list[float]]:  # type: ignore[override]
        """The Jacobian: ``grad()[i][j]`` = d(output i)/d(child j).

        Row i is what the chain rule hands the children when the derivatives are
        the unit vector e_i (1 for output i, 0 elsewhere), so the rows come from
        the operation table's vjp: the maths is written once, there.
        """
        spec = self.spec
        n = len(self.children)
        xs = [c.forward() for c in self.children] if "xs" in spec.needs else [None] * n
        out = self.forward() if "out" in spec.needs else None
        assert spec.vjp is not None
        return [spec.vjp(FLOAT, xs, out, [1.0 if j == i else 0.0 for j in range(n)], None)
                for i in range(n)]

    def backward(self, derivative_from_parent: Any = None, *, update: bool = True) -> None:
        """Backpropagate a list of derivatives, one per output entry."""
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


def check_seed(label: str, width: int | None, d: Any) -> Any:
    """The derivative a backward pass starts from, checked against the output.

    ``width`` is the number of outputs of a list-valued model (``None`` for one
    number, where the seed defaults to 1.0). Every engine checks here.
    """
    if width is None:
        if d is None:
            return 1.0
        if isinstance(d, (list, tuple)):
            raise TypeError(f"{label} returns one number; backward needs one")
        return d
    if d is None:
        raise TypeError(
            f"{label} returns {width} values, so backward needs a list of as many "
            "derivatives (for example from a loss gradient)"
        )
    if not isinstance(d, Sequence) or isinstance(d, (str, bytes)):
        raise TypeError(f"{label} returns {width} values, so backward needs a list of "
                        f"{width} derivatives, got {d!r}")
    if len(d) != width:
        raise InputCountError(f"{label} has {width} outputs but backward got {len(d)} "
                              "derivatives")
    return [float(v) for v in d]


def _as_derivatives(node: Output, d: Any) -> list[float]:
    return check_seed(node.label(), len(node.children), d)  # type: ignore[no-any-return]


def stable_softmax(x: Sequence[float]) -> list[float]:
    """e^x_i / sum_j e^x_j, computed after subtracting the max so it never overflows."""
    return _softmax(FLOAT, list(x), None)


class Softmax(Output):
    """Turns scores into probabilities that are positive and sum to 1."""

    spec = SOFTMAX

    def op(self, x: list[float]) -> list[float]:
        return stable_softmax(x)

    # grad(), the Jacobian s_i (delta_ij - s_j), is Output's: rows from _softmax_vjp

    def _child_derivatives(self, d: Any) -> Iterator[tuple[NeuralNetNode, float]]:
        # the vjp itself, O(n), rather than the Jacobian's O(n^2) sums
        shares = _softmax_vjp(FLOAT, [], self.forward(), _as_derivatives(self, d), None)
        return zip(self.children, shares)


def is_vector(node: NeuralNetNode) -> bool:
    """True if ``node`` returns a list (an Output, or a macro standing for one)."""
    return bool(node.returns_list)


LIST_ROOTS.update(list=Output, softmax=Softmax)

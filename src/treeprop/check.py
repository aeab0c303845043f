"""Layer 9 — trust, but verify: gradient checks against finite differences.

Backpropagation is easy to get subtly wrong. The central difference
(f(v + h) - f(v - h)) / 2h approximates every derivative with no calculus at
all, so comparing the two catches almost any mistake in a ``grad()``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from treeprop.graph import postorder
from treeprop.nodes import Computation, Input, Leaf, NeuralNetNode, Parameter


@dataclass
class GradcheckRow:
    node: Leaf
    backprop: float
    numeric: float

    @property
    def error(self) -> float:
        """Relative error, scaled so tiny gradients are compared absolutely."""
        return abs(self.backprop - self.numeric) / max(1.0, abs(self.backprop), abs(self.numeric))


@dataclass
class GradcheckResult:
    rows: list[GradcheckRow] = field(default_factory=list)
    tolerance: float = 1e-5

    @property
    def max_error(self) -> float:
        return max((r.error for r in self.rows), default=0.0)

    @property
    def worst(self) -> GradcheckRow | None:
        return max(self.rows, key=lambda r: r.error, default=None)

    @property
    def ok(self) -> bool:
        return self.max_error <= self.tolerance

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        w = self.worst
        if w is None:
            return "gradcheck: nothing to check (no parameters or inputs)"
        verdict = "OK" if self.ok else "MISMATCH"
        return (f"gradcheck {verdict}: {len(self.rows)} derivatives, worst relative error "
                f"{self.max_error:.2e} at {w.node!r} (backprop {w.backprop:.6g}, "
                f"finite difference {w.numeric:.6g})")


def central_difference(f: Callable[[], float], leaf: Leaf, eps: float = 1e-6) -> float:
    """(f(v + eps) - f(v - eps)) / (2 eps), restoring the leaf's value afterwards."""
    v = leaf.value
    try:
        leaf.value = v + eps
        up = f()
        leaf.value = v - eps
        down = f()
    finally:
        leaf.value = v
    return (up - down) / (2.0 * eps)


def gradcheck(
    model: Computation,
    inputs: Sequence[float] | None = None,
    *,
    loss: Any = None,
    target: Any = None,
    wrt: str = "parameters",
    eps: float = 1e-6,
    tolerance: float = 1e-5,
    seed: int = 0,
) -> GradcheckResult:
    """Compare backprop with central differences for every parameter (or input).

    The checked quantity is the model's output; with ``loss`` and ``target``
    it is ``loss(target, output)``. A model that returns a list is reduced to
    one number by a fixed random weighting of its entries. Parameters are
    left unchanged.
    """
    if inputs is not None:
        model.predict(inputs)
    if wrt not in ("parameters", "inputs", "both"):
        raise ValueError("wrt must be 'parameters', 'inputs' or 'both'")
    leaves: list[Leaf] = [
        n for n in postorder(model)
        if (isinstance(n, Parameter) and wrt in ("parameters", "both"))
        or (isinstance(n, Input) and wrt in ("inputs", "both"))
    ]
    out = model.forward()
    weights = None
    if isinstance(out, list):
        rng = random.Random(seed)
        weights = [rng.uniform(0.5, 1.5) for _ in out]

    def scalar() -> float:
        p = model.forward()
        if loss is not None:
            return float(loss(target, p))
        if weights is not None:
            return sum(w * v for w, v in zip(weights, p))
        return float(p)

    if loss is not None:
        start = loss.grad(target, out)
    else:
        start = weights if weights is not None else 1.0
    model.backward(start, update=False)
    backprop = {id(n): (n.gradient or 0.0) for n in leaves}
    result = GradcheckResult(tolerance=tolerance)
    for leaf in leaves:
        numeric = central_difference(scalar, leaf, eps)
        result.rows.append(GradcheckRow(leaf, float(backprop[id(leaf)]), numeric))
    return result


def count_nodes(model: NeuralNetNode) -> int:
    """How many distinct nodes the graph has."""
    return len(postorder(model))

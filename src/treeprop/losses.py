"""Layer 3 — loss functions and their gradients.

A loss says how wrong a prediction ``p`` is for a target ``y``; its gradient
d(loss)/dp is the derivative that starts backpropagation. Each loss comes as a
plain pair of functions (the course's form) and bundled as a :class:`Loss`.

The arithmetic of each loss is written once: the functions take an optional
maths namespace ``m`` (see :mod:`treeprop.ops`), so the compiled engine writes
MSE and BCE into its training loop from these very functions and the batched
engine evaluates all three with NumPy. :data:`LOSSES` lists them.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from treeprop.ops import FLOAT

EPS = 1e-8
HIGH = 1.0 - EPS  # the clip's top, computed once


def mse(y: float, p: float, m: Any = FLOAT) -> float:
    """Squared error (y - p)^2."""
    return (y - p) ** 2


def mse_grad(y: float, p: float, m: Any = FLOAT) -> float:
    """d/dp (y - p)^2 = -2 (y - p)."""
    return -2.0 * (y - p)


def bce(y: float, p: float, m: Any = FLOAT) -> float:
    """Binary cross-entropy; p is clamped to [eps, 1 - eps] so log never sees 0."""
    q = m.clip(p, EPS, HIGH)  # (a clipped value comes named: q is used twice)
    return -(y * m.log(q) + (1.0 - y) * m.log(1.0 - q))  # type: ignore[no-any-return]


def bce_grad(y: float, p: float, m: Any = FLOAT) -> float:
    """d/dp of binary cross-entropy: (p - y) / (p (1 - p)), with p clamped."""
    q = m.clip(p, EPS, HIGH)  # (a clipped value comes named: q is used twice)
    return (q - y) / (q * (1.0 - q))  # type: ignore[no-any-return]


def one_hot(label: int, classes: int) -> list[float]:
    """A list of ``classes`` zeros with a 1 at ``label``."""
    if not 0 <= label < classes:
        raise ValueError(f"label {label} is not one of the {classes} classes")
    out = [0.0] * classes
    out[label] = 1.0
    return out


def _target(y: int | Sequence[float], n: int) -> Sequence[float]:
    if isinstance(y, numbers.Integral) and not isinstance(y, bool):  # numpy ints too
        return one_hot(int(y), n)
    if len(y) != n:
        raise ValueError(f"the target has {len(y)} entries but the prediction has {n}")
    return y


def cce(y: int | Sequence[float], p: Sequence[float], m: Any = FLOAT) -> float:
    """Categorical cross-entropy -sum y_i log p_i; ``y`` is a class index or one-hot.

    With another ``m`` (NumPy), ``y`` and ``p`` are lists of columns, one per class.
    """
    t = _target(y, len(p)) if m is FLOAT else y
    return -m.sum([m.where(ti != 0.0, ti * m.log(m.maximum(pi, EPS)), 0.0)  # type: ignore[no-any-return]
                   for ti, pi in zip(t, p)])


def cce_grad(y: int | Sequence[float], p: Sequence[float], m: Any = FLOAT) -> list[float]:
    """d/dp_i = -y_i / p_i: one derivative per output. Through a softmax it becomes p - y."""
    t = _target(y, len(p)) if m is FLOAT else y
    return [m.where(ti != 0.0, -ti / m.maximum(pi, EPS), 0.0) for ti, pi in zip(t, p)]


@dataclass(frozen=True)
class Loss:
    """A loss function bundled with its gradient: ``loss(y, p)`` and ``loss.grad(y, p)``.

    ``short`` names it in generated code; ``vector`` says it takes a list of
    predictions (one per class).
    """

    name: str
    fn: Callable[..., float]
    grad: Callable[..., Any]
    short: str = ""
    vector: bool = False

    def __call__(self, y: Any, p: Any) -> float:
        return self.fn(y, p)


MSE = Loss("mean squared error", mse, mse_grad, "mse")
BCE = Loss("binary cross-entropy", bce, bce_grad, "bce")
CCE = Loss("categorical cross-entropy", cce, cce_grad, "cce", vector=True)

#: treeprop's own losses: the engines write or vectorise exactly these
LOSSES = (MSE, BCE, CCE)


def find(loss_fn: Any, loss_grad_fn: Any) -> Loss | None:
    """The :data:`LOSSES` entry ``(loss_fn, loss_grad_fn)`` is, or ``None`` for others."""
    fn = getattr(loss_fn, "fn", loss_fn)
    for known in LOSSES:
        if fn is known.fn and loss_grad_fn is known.grad:
            return known
    return None

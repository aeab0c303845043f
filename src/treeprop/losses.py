"""Layer 3 — loss functions and their gradients.

A loss says how wrong a prediction ``p`` is for a target ``y``; its gradient
d(loss)/dp is the derivative that starts backpropagation. Each loss comes as a
plain pair of functions (the course's form) and bundled as a :class:`Loss`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

EPS = 1e-8


def mse(y: float, p: float) -> float:
    """Squared error (y - p)^2."""
    return (y - p) ** 2


def mse_grad(y: float, p: float) -> float:
    """d/dp (y - p)^2 = -2 (y - p)."""
    return -2.0 * (y - p)


def _clamp(p: float, eps: float = EPS) -> float:
    return min(max(p, eps), 1.0 - eps)


def bce(y: float, p: float) -> float:
    """Binary cross-entropy; p is clamped to [eps, 1 - eps] so log never sees 0."""
    p = _clamp(p)
    return -(y * math.log(p) + (1.0 - y) * math.log(1.0 - p))


def bce_grad(y: float, p: float) -> float:
    """d/dp of binary cross-entropy: (p - y) / (p (1 - p)), with p clamped."""
    p = _clamp(p)
    return (p - y) / (p * (1.0 - p))


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


def cce(y: int | Sequence[float], p: Sequence[float]) -> float:
    """Categorical cross-entropy -sum y_i log p_i; ``y`` is a class index or one-hot."""
    t = _target(y, len(p))
    return -sum(ti * math.log(max(pi, EPS)) for ti, pi in zip(t, p) if ti)


def cce_grad(y: int | Sequence[float], p: Sequence[float]) -> list[float]:
    """d/dp_i = -y_i / p_i: one derivative per output. Through a softmax it becomes p - y."""
    t = _target(y, len(p))
    return [-ti / max(pi, EPS) if ti else 0.0 for ti, pi in zip(t, p)]


@dataclass(frozen=True)
class Loss:
    """A loss function bundled with its gradient: ``loss(y, p)`` and ``loss.grad(y, p)``."""

    name: str
    fn: Callable[[Any, Any], float]
    grad: Callable[[Any, Any], Any]

    def __call__(self, y: Any, p: Any) -> float:
        return self.fn(y, p)


MSE = Loss("mean squared error", mse, mse_grad)
BCE = Loss("binary cross-entropy", bce, bce_grad)
CCE = Loss("categorical cross-entropy", cce, cce_grad)

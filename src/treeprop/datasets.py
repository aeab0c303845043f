"""Layer 3 — small data sets, generated in code from a seed (never downloaded).

Each function returns a list of ``(inputs, target)`` pairs ready for
``train_model``. Classification targets are 0/1 for two classes and a class
index for more. ``iris`` and ``digits`` read the copies scikit-learn ships.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any

Sample = tuple[list[float], Any]


def _check_n(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive whole number, got {n!r}")


def _points(n: int, seed: int) -> tuple[random.Random, list[tuple[float, float]]]:
    _check_n(n)
    rng = random.Random(seed)
    return rng, [(rng.uniform(-1, 1), rng.uniform(-1, 1)) for _ in range(n)]


def fahrenheit_celsius(n: int = 1000, seed: int = 0) -> list[Sample]:
    """Temperatures f in [-1, 1] (as in the course) and their Celsius values."""
    _check_n(n)
    rng, _ = _points(1, seed)
    out = []
    for _ in range(n):
        f = rng.uniform(-1, 1)
        out.append(([f], (f - 32.0) * 5.0 / 9.0))
    return out


def above_line(n: int = 1000, seed: int = 0) -> list[Sample]:
    """Points in [-1, 1]^2, labelled 1 when above the line y = x."""
    _, pts = _points(n, seed)
    return [([x, y], 1.0 if y > x else 0.0) for x, y in pts]


def xor(n: int = 400, noise: float = 0.0, seed: int = 0) -> list[Sample]:
    """Points in [-1, 1]^2, labelled 1 when x and y have the same sign."""
    rng, pts = _points(n, seed)
    out = []
    for x, y in pts:
        label = 1.0 if x * y > 0 else 0.0
        out.append(([x + rng.gauss(0, noise), y + rng.gauss(0, noise)], label))
    return out


def circles(n: int = 400, noise: float = 0.05, factor: float = 0.5,
            seed: int = 0) -> list[Sample]:
    """An inner circle (label 1) inside an outer ring (label 0)."""
    _check_n(n)
    rng, _ = _points(1, seed)
    out = []
    for i in range(n):
        inner = i % 2 == 1
        r = factor if inner else 1.0
        t = rng.uniform(0, 2 * math.pi)
        out.append(([r * math.cos(t) + rng.gauss(0, noise),
                     r * math.sin(t) + rng.gauss(0, noise)], 1.0 if inner else 0.0))
    rng.shuffle(out)
    return out


def moons(n: int = 400, noise: float = 0.1, seed: int = 0) -> list[Sample]:
    """Two interleaving half circles, scaled into roughly [-1, 1]^2."""
    _check_n(n)
    rng, _ = _points(1, seed)
    out = []
    for i in range(n):
        upper = i % 2 == 0
        t = rng.uniform(0, math.pi)
        if upper:
            x, y = math.cos(t), math.sin(t)
        else:
            x, y = 1 - math.cos(t), 0.5 - math.sin(t)
        x, y = x + rng.gauss(0, noise), y + rng.gauss(0, noise)
        out.append(([(x - 0.5) / 1.5, (y - 0.25) / 1.0], 0.0 if upper else 1.0))
    rng.shuffle(out)
    return out


def spirals(n: int = 400, noise: float = 0.05, turns: float = 1.5,
            seed: int = 0) -> list[Sample]:
    """Two interleaved spiral arms (labels 0 and 1), each winding ``turns`` times.

    Each arm is an Archimedean spiral from radius 0.1 to 1, the second the first
    turned by half a turn, so along any ray the arms alternate at a constant
    distance ``0.9 / (2 turns)`` (0.3 by default). Points are spread evenly along
    each arm's length (one at a random place in each of ``n / 2`` equal stretches),
    so the outer turns are as well drawn as the inner ones. ``noise`` is the scatter
    relative to that distance: the standard deviation is ``noise`` times half of
    it, so at 0.1 the arms are sharp and from about 0.5 on they touch.
    """
    _check_n(n)
    if not (isinstance(turns, (int, float)) and math.isfinite(turns) and turns > 0):
        raise ValueError(f"turns must be a positive number, got {turns!r}")
    if not (isinstance(noise, (int, float)) and math.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")
    rng = random.Random(seed)
    inner = 0.1
    sd = noise * (1.0 - inner) / (2.0 * turns) / 2.0
    # The arc length from the centre to f (0..1 along the arm) grows like
    # inner f + (1 - inner) f^2 / 2; solving that quadratic turns an even share u of
    # the length into f.
    a, b = (1.0 - inner) / 2.0, inner
    per_arm = [(n + 1) // 2, n // 2]
    out = []
    for i in range(n):
        arm, k = i % 2, i // 2
        u = (k + rng.random()) / per_arm[arm]
        f = (-b + math.sqrt(b * b + 4.0 * a * (a + b) * u)) / (2.0 * a)
        r = inner + (1.0 - inner) * f
        t = f * turns * 2.0 * math.pi + arm * math.pi
        out.append(([r * math.cos(t) + rng.gauss(0.0, sd),
                     r * math.sin(t) + rng.gauss(0.0, sd)], float(arm)))
    rng.shuffle(out)
    return out


GENERATORS: dict[str, Callable[..., list[Sample]]] = {
    "line": above_line,
    "xor": xor,
    "circles": circles,
    "moons": moons,
    "spirals": spirals,
}


def _standardise(rows: Sequence[Sequence[float]]) -> list[list[float]]:
    cols = list(zip(*rows))
    means = [sum(c) / len(c) for c in cols]
    sds = [math.sqrt(sum((v - m) ** 2 for v in c) / len(c)) or 1.0 for c, m in zip(cols, means)]
    return [[(v - m) / s for v, m, s in zip(r, means, sds)] for r in rows]


def iris(standardise: bool = True) -> list[Sample]:
    """The 150 iris flowers (4 measurements, 3 species) from scikit-learn's copy."""
    from sklearn.datasets import load_iris

    bunch = load_iris()
    rows = [list(map(float, r)) for r in bunch.data]
    if standardise:
        rows = _standardise(rows)
    return [(r, int(t)) for r, t in zip(rows, bunch.target)]


def digits(classes: int = 10) -> list[Sample]:
    """The 1797 8x8 handwritten digits from scikit-learn's copy, pixels scaled to [0, 1]."""
    from sklearn.datasets import load_digits

    bunch = load_digits(n_class=classes)
    return [([float(v) / 16.0 for v in r], int(t)) for r, t in zip(bunch.data, bunch.target)]


def split(data: Sequence[Sample], test_fraction: float = 0.2,
          seed: int = 0) -> tuple[list[Sample], list[Sample]]:
    """Shuffle with ``seed`` and cut into (train, test)."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    rows = list(data)
    random.Random(seed).shuffle(rows)
    cut = len(rows) - max(1, round(len(rows) * test_fraction))
    return rows[:cut], rows[cut:]

"""Data sets (treeprop.datasets): seeded, the right shapes, labels and balance, no network."""

from __future__ import annotations

import math
import socket

import pytest

from treeprop import datasets
from treeprop.datasets import (
    GENERATORS,
    above_line,
    circles,
    digits,
    fahrenheit_celsius,
    iris,
    moons,
    spirals,
    split,
    xor,
)

GENERATED = [fahrenheit_celsius, above_line, xor, circles, moons, spirals]


@pytest.mark.parametrize("make", GENERATED)
def test_same_seed_same_data_other_seed_other_data(make):
    assert make(n=60, seed=7) == make(n=60, seed=7)
    assert make(n=60, seed=7) != make(n=60, seed=8)


@pytest.mark.parametrize("make", GENERATED)
def test_shapes_and_finite_values(make):
    data = make(n=50, seed=1)
    assert len(data) == 50
    width = 1 if make is fahrenheit_celsius else 2
    for x, y in data:
        assert isinstance(x, list) and len(x) == width
        assert all(isinstance(v, float) and math.isfinite(v) for v in x)
        assert isinstance(y, float) and math.isfinite(y)


@pytest.mark.parametrize("make", GENERATED)
@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_bad_sizes_are_refused(make, bad):
    with pytest.raises(ValueError, match="positive whole number"):
        make(n=bad)


def test_fahrenheit_targets():
    for (f,), c in fahrenheit_celsius(100, seed=2):
        assert -1.0 <= f <= 1.0
        assert c == pytest.approx((f - 32.0) * 5.0 / 9.0)


def test_above_line_labels():
    data = above_line(400, seed=3)
    for (x, y), label in data:
        assert label == (1.0 if y > x else 0.0)
    share = sum(label for _, label in data) / len(data)
    assert 0.4 < share < 0.6


def test_xor_labels_without_noise():
    for (x, y), label in xor(200, seed=4):
        assert label == (1.0 if x * y > 0 else 0.0)


@pytest.mark.parametrize("make", [circles, moons, spirals])
def test_two_class_sets_are_balanced(make):
    data = make(n=101, seed=5)
    ones = sum(1 for _, y in data if y == 1.0)
    assert {y for _, y in data} == {0.0, 1.0}
    assert abs(ones - (101 - ones)) <= 1


def test_circles_geometry():
    for (x, y), label in circles(200, noise=0.0, factor=0.4, seed=6):
        assert math.hypot(x, y) == pytest.approx(0.4 if label == 1.0 else 1.0)


def test_generators_table():
    assert set(GENERATORS) == {"line", "xor", "circles", "moons", "spirals"}
    assert GENERATORS["line"] is above_line


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a data set tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_iris_from_the_bundled_copy(no_network):
    data = iris()
    assert len(data) == 150
    assert all(len(x) == 4 for x, _ in data)
    assert sorted({y for _, y in data}) == [0, 1, 2]
    assert [sum(1 for _, y in data if y == k) for k in range(3)] == [50, 50, 50]
    for j in range(4):  # standardised: mean 0, standard deviation 1
        col = [x[j] for x, _ in data]
        mean = sum(col) / 150
        assert mean == pytest.approx(0.0, abs=1e-9)
        assert math.sqrt(sum((v - mean) ** 2 for v in col) / 150) == pytest.approx(1.0)
    raw = iris(standardise=False)
    assert raw[0][0] == [5.1, 3.5, 1.4, 0.2]  # the first flower of Fisher's table


def test_digits_from_the_bundled_copy(no_network):
    data = digits()
    assert len(data) == 1797
    assert all(len(x) == 64 and all(0.0 <= v <= 1.0 for v in x) for x, _ in data)
    assert sorted({y for _, y in data}) == list(range(10))
    few = digits(classes=3)
    assert sorted({y for _, y in few}) == [0, 1, 2]


def test_split():
    data = above_line(100, seed=0)
    train, test = split(data, 0.25, seed=1)
    assert (len(train), len(test)) == (75, 25)
    assert sorted(map(repr, train + test)) == sorted(map(repr, data))
    assert split(data, 0.25, seed=1) == (train, test)
    assert split(data, 0.25, seed=2) != (train, test)
    with pytest.raises(ValueError, match="between 0 and 1"):
        split(data, 1.0)


def test_module_has_no_download_helpers():
    source = open(datasets.__file__).read()
    assert "urllib" not in source and "requests" not in source and "fetch_" not in source


def _arms(data):
    return [[x for x, y in data if y == float(arm)] for arm in (0, 1)]


def _unwrapped_angles(points):
    """The polar angle of each point, in order of radius, unwrapped into one rising run."""
    ordered = sorted(points, key=lambda p: math.hypot(*p))
    out = []
    for x, y in ordered:
        a = math.atan2(y, x)
        if out:
            while a < out[-1] - math.pi:
                a += 2 * math.pi
            while a > out[-1] + math.pi:
                a -= 2 * math.pi
        out.append(a)
    return ordered, out


@pytest.mark.parametrize("turns", [1.5, 2.5])
def test_spiral_arms_wind_outwards(turns):
    """Without noise each arm is r = 0.1 + 0.9 (angle - start) / (turns 2 pi): the radius
    grows with the angle all along the arm, over the whole number of turns."""
    for arm, points in enumerate(_arms(spirals(400, noise=0.0, turns=turns, seed=3))):
        ordered, angles = _unwrapped_angles(points)
        steps = [b - a for a, b in zip(angles, angles[1:])]
        assert min(steps) > 0  # the angle rises with the radius, never turns back
        # evenly spread along the arm (one point in each of 200 equal stretches, so two
        # neighbours are at most two stretches apart): no part of the arm left empty
        length = turns * 2 * math.pi * (0.1 + 0.9 / 2)  # at least the arm's length
        assert max(math.dist(p, q) for p, q in zip(ordered, ordered[1:])) \
            < 2.2 * length / len(points)
        start = angles[0] - (math.hypot(*ordered[0]) - 0.1) / 0.9 * turns * 2 * math.pi
        for p, a in zip(ordered, angles):
            assert math.hypot(*p) == pytest.approx(0.1 + 0.9 * (a - start)
                                                   / (turns * 2 * math.pi), abs=1e-9)
        assert angles[-1] - angles[0] > 0.97 * turns * 2 * math.pi
        # the second arm is the first turned by half a turn
        assert (start - arm * math.pi) % (2 * math.pi) == pytest.approx(0.0, abs=1e-6) or \
            (start - arm * math.pi) % (2 * math.pi) == pytest.approx(2 * math.pi, abs=1e-6)


def test_spiral_arms_stay_apart():
    zero, one = _arms(spirals(400, noise=0.0, seed=4))
    closest = min(math.dist(p, q) for p in zero for q in one)
    # nowhere nearer than their inner ends, opposite each other at radius 0.1
    assert closest > 0.18
    # with the default noise (and the playground's 0.1) on 120 points, every point's
    # nearest neighbour is on its own arm: the arms read as two spirals
    for noise in (0.05, 0.1):
        data = spirals(120, noise=noise, seed=0)
        wrong = 0
        for i, (x, y) in enumerate(data):
            nearest = min((math.dist(x, q), t) for j, (q, t) in enumerate(data) if j != i)
            wrong += nearest[1] != y
        assert wrong == 0, f"noise {noise}: {wrong} points nearest the other arm"
    assert all(math.hypot(*x) < 1.1 for x, _ in spirals(400, seed=5))


@pytest.mark.parametrize("bad", [{"turns": 0}, {"turns": float("nan")}, {"noise": -0.1}])
def test_spirals_refuse_bad_shapes(bad):
    with pytest.raises(ValueError, match="turns|noise"):
        spirals(50, **bad)

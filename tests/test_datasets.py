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

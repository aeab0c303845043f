"""Losses (treeprop.losses): values, gradients against central differences, safety."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import finite

from treeprop import BCE, CCE, MSE, Loss, bce, bce_grad, cce, cce_grad, mse, mse_grad
from treeprop.losses import EPS, one_hot
from treeprop.outputs import stable_softmax

probability = st.floats(min_value=0.01, max_value=0.99)


def numeric(f, p, h=1e-7):
    return (f(p + h) - f(p - h)) / (2 * h)


def test_known_values():
    assert mse(3.0, 1.0) == 4.0 and mse_grad(3.0, 1.0) == -4.0
    assert bce(1.0, 0.5) == pytest.approx(math.log(2))
    assert bce(0.0, 0.25) == pytest.approx(-math.log(0.75))
    assert bce_grad(1.0, 0.5) == pytest.approx(-2.0)
    assert cce(1, [0.2, 0.5, 0.3]) == pytest.approx(-math.log(0.5))
    assert cce_grad(1, [0.2, 0.5, 0.3]) == pytest.approx([0.0, -2.0, 0.0])


@given(finite, finite)
def test_mse_gradient(y, p):
    assert mse_grad(y, p) == pytest.approx(numeric(lambda q: mse(y, q), p), rel=1e-5, abs=1e-5)


@given(st.sampled_from([0.0, 1.0, 0.3]), probability)
def test_bce_gradient(y, p):
    assert bce_grad(y, p) == pytest.approx(numeric(lambda q: bce(y, q), p), rel=1e-5)


@given(st.lists(probability, min_size=2, max_size=5), st.data())
def test_cce_gradient(ps, data):
    label = data.draw(st.integers(0, len(ps) - 1))
    g = cce_grad(label, ps)
    for i in range(len(ps)):
        def f(q, i=i):
            qs = list(ps)
            qs[i] = q
            return cce(label, qs)
        assert g[i] == pytest.approx(numeric(f, ps[i]), rel=1e-5, abs=1e-9)


def test_bce_and_cce_never_see_log_zero():
    for p in (0.0, 1.0, -0.5, 1.5):
        for y in (0.0, 1.0):
            assert math.isfinite(bce(y, p)) and math.isfinite(bce_grad(y, p))
    assert bce(1.0, 0.0) == pytest.approx(-math.log(EPS))
    assert cce(0, [0.0, 1.0]) == pytest.approx(-math.log(EPS))
    assert all(math.isfinite(g) for g in cce_grad(0, [0.0, 1.0]))


def test_cce_targets():
    p = stable_softmax([0.1, 0.7, -0.3])
    assert cce(1, p) == cce([0.0, 1.0, 0.0], p)
    assert cce([0.5, 0.5, 0.0], p) == pytest.approx(-0.5 * math.log(p[0]) - 0.5 * math.log(p[1]))
    with pytest.raises(ValueError, match="not one of the 3 classes"):
        cce(3, p)
    with pytest.raises(ValueError, match="2 entries but the prediction has 3"):
        cce([1.0, 0.0], p)


def test_one_hot():
    assert one_hot(2, 4) == [0.0, 0.0, 1.0, 0.0]
    with pytest.raises(ValueError):
        one_hot(-1, 4)


def test_loss_objects_carry_their_gradient():
    for loss, fn, grad in ((MSE, mse, mse_grad), (BCE, bce, bce_grad), (CCE, cce, cce_grad)):
        assert isinstance(loss, Loss)
        assert loss.fn is fn and loss.grad is grad
    assert MSE(2.0, 0.5) == mse(2.0, 0.5)
    assert "entropy" in BCE.name


def test_numpy_class_indices_work_like_ints():
    import numpy as np

    p = [0.2, 0.5, 0.3]
    assert cce(np.int64(1), p) == cce(1, p)
    assert cce_grad(np.int32(2), p) == cce_grad(2, p)


def test_accuracy_with_numpy_labels():
    import numpy as np

    from treeprop import Input, Softmax
    from treeprop.training import accuracy

    model = Softmax(Input(0.1), Input(0.5))
    assert accuracy(model, [([0.1, 0.5], np.int64(1)), ([0.9, 0.5], np.int64(1))]) == 0.5

"""Layer 6 (treeprop.outputs): list-valued roots, Softmax, cross-entropy through it."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import finite

from treeprop import (
    CCE,
    MLP,
    Add,
    Input,
    InputCountError,
    Multiply,
    Output,
    Parameter,
    Sigmoid,
    Softmax,
    gradcheck,
)
from treeprop.losses import cce_grad
from treeprop.outputs import is_vector


def test_output_returns_the_list_of_its_children():
    x = Input(2.0)
    out = Output(Add(x, 1.0), Multiply(x, 3.0), x)
    assert out.forward() == [3.0, 6.0, 2.0]
    assert len(out) == 3 and out[1].forward() == 6.0
    assert out.grad() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    assert is_vector(out) and not is_vector(x)


def test_output_backward_takes_one_derivative_per_entry():
    a, b = Parameter(1.0, learning_rate=0.1), Parameter(2.0, learning_rate=0.1)
    out = Output(Multiply(a, b), Add(a, b))
    out.backward([1.0, 10.0], update=False)
    assert a.gradient == 1.0 * 2.0 + 10.0
    assert b.gradient == 1.0 * 1.0 + 10.0
    out.backward([1.0, 10.0])
    assert a.value == pytest.approx(1.0 - 0.1 * 12.0)


def test_output_backward_checks_its_argument():
    out = Output(Input(1.0), Input(2.0))
    with pytest.raises(TypeError, match="needs a list of as many derivatives"):
        out.backward()
    with pytest.raises(TypeError, match="needs a list of 2 derivatives"):
        out.backward(1.0)
    with pytest.raises(InputCountError, match="2 outputs but backward got 3"):
        out.backward([1.0, 2.0, 3.0])


def test_an_output_cannot_be_a_child():
    inner = Output(Input(1.0), Input(2.0))
    model = Add(Sigmoid(Input(0.5)), Multiply(Input(1.0), Input(1.0)))
    model.children.append(inner)
    with pytest.raises(TypeError, match="can only be the root"):
        model.compile()


@given(st.lists(finite, min_size=1, max_size=6))
def test_softmax_is_a_probability_distribution(scores):
    p = Softmax([Input(s) for s in scores]).forward()
    assert sum(p) == pytest.approx(1.0)
    assert all(0.0 <= v <= 1.0 for v in p)
    big = max(range(len(scores)), key=scores.__getitem__)
    assert p[big] == max(p)
    shifted = Softmax([Input(s + 3.0) for s in scores]).forward()  # shift invariance
    assert shifted == pytest.approx(p, abs=1e-12)


@given(st.lists(finite, min_size=2, max_size=5))
def test_softmax_jacobian_matches_central_differences(scores):
    leaves = [Input(s) for s in scores]
    model = Softmax(leaves)
    jac = model.grad()
    h = 1e-6
    for j, leaf in enumerate(leaves):
        v = leaf.value
        leaf.value = v + h
        up = model.forward()
        leaf.value = v - h
        down = model.forward()
        leaf.value = v
        for i in range(len(scores)):
            assert jac[i][j] == pytest.approx((up[i] - down[i]) / (2 * h), abs=1e-7)


@given(st.lists(finite, min_size=2, max_size=5), st.data())
def test_softmax_fast_backward_equals_jacobian_product(scores, data):
    d = data.draw(st.lists(finite, min_size=len(scores), max_size=len(scores)))
    model = Softmax([Parameter(s) for s in scores])
    jac = model.grad()
    fast = [share for _, share in model._child_derivatives(d)]
    slow = [sum(d[i] * jac[i][j] for i in range(len(d))) for j in range(len(scores))]
    assert fast == pytest.approx(slow, abs=1e-9)


def test_cross_entropy_gradient_through_softmax_is_p_minus_y():
    zs = [Parameter(v) for v in (0.5, -1.0, 2.0)]
    model = Softmax(zs)
    p = model.forward()
    model.backward(cce_grad(2, p), update=False)
    assert [z.gradient for z in zs] == pytest.approx([p[0], p[1], p[2] - 1.0], abs=1e-12)
    # a one-hot list target means the same as the class index
    model.backward(cce_grad([0.0, 0.0, 1.0], p), update=False)
    assert [z.gradient for z in zs] == pytest.approx([p[0], p[1], p[2] - 1.0], abs=1e-12)
    assert gradcheck(model, loss=CCE, target=2).ok


def test_a_training_step_through_softmax_lowers_the_loss():
    net = MLP([2, 3, 3], output="softmax", learning_rate=0.1).compile()
    before = CCE(1, net.predict([0.3, -0.6]))
    p = net.forward()
    net.backward(CCE.grad(1, p))
    after = CCE(1, net.predict([0.3, -0.6]))
    assert after < before


def test_softmax_of_extreme_scores_gives_finite_loss():
    model = Softmax(Input(800.0), Input(-800.0))
    p = model.forward()
    assert p == [1.0, 0.0]
    loss = CCE(1, p)
    assert math.isfinite(loss) and loss == pytest.approx(-math.log(1e-8))

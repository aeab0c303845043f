"""Layer 2 (treeprop.ops): local derivatives, the chain rule, numerical safety.

Every operation's ``grad()`` and ``backward`` are compared with central
differences over random inputs; so are whole random trees and DAGs.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import away_from_zero, dags, finite, positive, trees

from treeprop import (
    Add,
    Constant,
    Divide,
    Exp,
    Input,
    Log,
    Multiply,
    Negate,
    NonFiniteError,
    Parameter,
    Power,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    gradcheck,
)
from treeprop.losses import CCE, cce, cce_grad
from treeprop.ops import stable_sigmoid
from treeprop.outputs import stable_softmax


def numeric_partials(make, values, h=1e-6):
    """Central differences of make(leaves).forward() with respect to each leaf value."""
    out = []
    for i, v in enumerate(values):
        step = h * max(1.0, abs(v))
        up = list(values)
        up[i] = v + step
        down = list(values)
        down[i] = v - step
        f_up = make([Input(u) for u in up]).forward()
        f_down = make([Input(d) for d in down]).forward()
        out.append((f_up - f_down) / (2 * step))
    return out


def close(a, b, tol=1e-5):
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def check_op(make, values, seed_derivative=1.0):
    """grad() and backward() of make(children) agree with central differences."""
    params = [Parameter(v, learning_rate=0.1) for v in values]
    node = make(params)
    local = node.grad()
    numeric = numeric_partials(make, values)
    assert len(local) == len(values)
    for g, n in zip(local, numeric):
        assert close(g, n), (local, numeric)
    # backward hands each child seed * local and then takes one SGD step
    node.backward(seed_derivative)
    for p, v, g in zip(params, values, local):
        assert p.gradient == pytest.approx(seed_derivative * g, rel=1e-12, abs=1e-300)
        assert p.value == pytest.approx(v - 0.1 * seed_derivative * g, rel=1e-12, abs=1e-12)


@given(st.lists(finite, min_size=1, max_size=5), finite)
def test_add_gradient(values, d):
    check_op(Add, values, d)


@given(st.lists(finite, min_size=1, max_size=5), finite)
def test_multiply_gradient(values, d):
    check_op(Multiply, values, d)


def test_multiply_gradient_with_a_zero_child():
    # d/da (a*b*c) = b*c even when a is 0; only the other factors matter
    a, b, c = Parameter(0.0), Parameter(2.0), Parameter(3.0)
    assert Multiply(a, b, c).grad() == [6.0, 0.0, 0.0]
    assert Multiply(a, b, Parameter(0.0)).grad() == [0.0, 0.0, 0.0]


@given(away_from_zero)
def test_relu_gradient(v):
    check_op(lambda c: ReLU(c[0]), [v])


def test_relu_gradient_at_zero_is_zero():
    assert ReLU(Input(0.0)).grad() == [0.0]
    assert ReLU(Input(-1e-300)).forward() == 0.0


@given(finite)
def test_sigmoid_gradient(v):
    check_op(lambda c: Sigmoid(c[0]), [v])


@given(finite)
def test_tanh_gradient(v):
    check_op(lambda c: Tanh(c[0]), [v])


@given(finite)
def test_exp_gradient(v):
    check_op(lambda c: Exp(c[0]), [v])


@given(positive)
def test_log_gradient(v):
    check_op(lambda c: Log(c[0]), [v])


@given(finite)
def test_negate_gradient(v):
    check_op(lambda c: Negate(c[0]), [v])


@given(finite, finite.filter(lambda b: abs(b) > 0.1))
def test_divide_gradient(a, b):
    check_op(lambda c: Divide(c[0], c[1]), [a, b])


@given(st.sampled_from([0.0, 1.0, 2.0, 3.0, 4.0]), finite)
def test_power_gradient_whole_exponents(k, v):
    check_op(lambda c: Power(c[0], exponent=k), [v])


@given(st.sampled_from([-3.0, -2.0, -1.0]), finite.filter(lambda v: abs(v) > 0.2))
def test_power_gradient_negative_exponents(k, v):
    check_op(lambda c: Power(c[0], exponent=k), [v])


@given(st.sampled_from([-1.5, -0.5, 0.5, 1.5, 2.5, 1.0 / 3.0]), positive)
def test_power_gradient_fractional_exponents(k, v):
    check_op(lambda c: Power(c[0], exponent=k), [v])


@given(st.lists(finite, min_size=2, max_size=5), st.data())
def test_softmax_with_cce_gradient(logits, data):
    """d cce(y, softmax(z)) / dz = softmax(z) - onehot(y), and it matches finite differences."""
    label = data.draw(st.integers(0, len(logits) - 1))
    params = [Parameter(v) for v in logits]
    model = Softmax(params)
    p = model.forward()
    model.backward(cce_grad(label, p), update=False)
    expected = [pi - (1.0 if i == label else 0.0) for i, pi in enumerate(p)]
    for param, e in zip(params, expected):
        assert param.gradient == pytest.approx(e, abs=1e-9)

    def loss(vals):
        return cce(label, stable_softmax(vals))

    for i, v in enumerate(logits):
        h = 1e-6
        up, down = list(logits), list(logits)
        up[i], down[i] = v + h, v - h
        numeric = (loss(up) - loss(down)) / (2 * h)
        assert close(params[i].gradient, numeric)
    assert gradcheck(model, loss=CCE, target=label).ok


@settings(max_examples=60, deadline=None)
@given(trees)
def test_random_trees_backprop_matches_gradcheck(built):
    result = gradcheck(built.root, wrt="both")
    assert result.ok, str(result)
    assert len(result.rows) == len(built.params) + len(built.inputs)


@settings(max_examples=60, deadline=None)
@given(dags)
def test_random_dags_backprop_matches_gradcheck(built):
    result = gradcheck(built.root, wrt="both")
    assert result.ok, str(result)


@settings(max_examples=40, deadline=None)
@given(trees)
def test_on_a_tree_the_course_recursion_equals_topological_backward(built):
    """backward_recursive is only wrong for shared nodes; on a tree both agree."""
    start = [p.value for p in built.params]
    built.root.backward(0.5)
    after_topo = [p.value for p in built.params]
    grads_topo = [p.gradient for p in built.params]
    for p, v in zip(built.params, start):
        p.value = v
    built.root.backward_recursive(0.5)
    assert [p.gradient for p in built.params] == pytest.approx(grads_topo, rel=1e-12)
    assert [p.value for p in built.params] == pytest.approx(after_topo, rel=1e-12)


def test_backward_update_false_only_computes_gradients():
    w = Parameter(2.0)
    x = Input(3.0)
    model = Multiply(w, x)
    model.backward(update=False)
    assert (w.value, w.gradient, x.gradient) == (2.0, 3.0, 2.0)
    model.backward(10.0)
    assert w.gradient == 30.0
    assert w.value == pytest.approx(2.0 - 0.01 * 30.0)
    assert x.value == 3.0  # inputs never learn


def test_per_parameter_learning_rate():
    fast, slow = Parameter(1.0, learning_rate=0.5), Parameter(1.0, learning_rate=0.001)
    Add(fast, slow).backward()
    assert fast.value == 0.5
    assert slow.value == pytest.approx(0.999)


def test_on_backward_hook_sees_each_derivative():
    seen = []

    class Spy(Add):
        def on_backward(self, d):
            seen.append(d)

    x = Input(2.0)
    spy = Spy(x)
    Multiply(spy, Constant(5.0)).backward(2.0)
    assert seen == [10.0]


# -- numerical safety -----------------------------------------------------------------------


def test_sigmoid_never_overflows():
    assert Sigmoid(Input(-1000.0)).forward() == 0.0
    assert Sigmoid(Input(1000.0)).forward() == 1.0
    assert stable_sigmoid(-745.0) >= 0.0
    assert Sigmoid(Input(-1000.0)).grad() == [0.0]


def test_softmax_never_overflows():
    p = Softmax(Input(1000.0), Input(0.0), Input(-1000.0)).forward()
    assert p == [1.0, 0.0, 0.0]
    q = Softmax(Input(1000.0), Input(1000.0)).forward()
    assert q == [0.5, 0.5]


def test_exp_overflow_is_a_clear_error():
    with pytest.raises(NonFiniteError, match=r"e\^1000 overflows"):
        Exp(Input(1000.0)).forward()


@pytest.mark.parametrize("v", [0.0, -1.0])
def test_log_of_nonpositive_is_a_clear_error(v):
    with pytest.raises(NonFiniteError, match=r"log\(.*\) is undefined"):
        Log(Input(v)).forward()


def test_divide_by_zero_is_a_clear_error():
    with pytest.raises(NonFiniteError, match="division by zero"):
        Divide(Input(1.0), Input(0.0)).forward()


def test_power_domain_errors_are_clear():
    with pytest.raises(NonFiniteError, match="divides by zero"):
        Power(Input(0.0), exponent=-1).forward()
    with pytest.raises(NonFiniteError, match="not a real number"):
        Power(Input(-2.0), exponent=0.5).forward()
    with pytest.raises(NonFiniteError, match="slope .* infinite"):
        Power(Input(0.0), exponent=0.5).grad()
    with pytest.raises(NonFiniteError, match="overflows"):
        Power(Input(1e200), exponent=3).forward()
    assert Power(Input(0.0), exponent=0).grad() == [0.0]


def test_errors_inside_a_model_surface_from_forward():
    x = Input(1.0, name="x")
    model = Add(Log(x), Constant(1.0))
    assert model.forward() == 1.0
    x.value = 0.0
    with pytest.raises(NonFiniteError, match="log"):
        model.forward()
    assert not math.isnan(x.value)

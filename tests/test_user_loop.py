"""A user's own loop on a compiled model: per-sample predict and backward.

These calls run generated code that writes the node objects directly; they must
leave every node exactly as the course's engine does and refuse the same mistakes.
"""

from __future__ import annotations

import math

import pytest

import treeprop as tp
import treeprop.datasets  # noqa: F401
from treeprop import MLP, Add, Input, Multiply, Parameter, Sigmoid, Softmax
from treeprop.graph import postorder
from treeprop.losses import bce_grad, cce_grad


def line_model():
    x, y = Input(name="x"), Input(name="y")
    p = [Parameter(v, learning_rate=0.1) for v in (0.2, -0.3, 0.1)]
    return Sigmoid(Add(Multiply(p[0], x), Multiply(p[1], y), p[2]))


def moons_pair():
    tp.seed(3)
    a = MLP([2, 5, 4, 1], output="sigmoid", learning_rate=0.05)
    tp.seed(3)
    b = MLP([2, 5, 4, 1], output="sigmoid", learning_rate=0.05)
    return a.compile(), b.compile(engine="compiled")


def same_nodes(a, b):
    for u, v in zip(postorder(a), postorder(b)):
        assert type(u) is type(v)
        if isinstance(u, tp.Leaf):
            assert u.value == pytest.approx(v.value, rel=1e-12, abs=1e-15)
        if u.gradient is None:
            assert v.gradient is None
        else:
            assert u.gradient == pytest.approx(v.gradient, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("build", [line_model, lambda: moons_pair()[0]])
def test_user_loop_matches_the_cached_engine_node_by_node(build):
    if build is line_model:
        a, b = line_model().compile(), line_model().compile(engine="compiled")
    else:
        a, b = moons_pair()
    assert b.predict.__name__ == "user_predict"  # the generated per-sample path
    data = tp.datasets.moons(30, seed=1)
    for x, y in data:
        pa, pb = a.predict(x), b.predict(x)
        assert pb == pytest.approx(pa, rel=1e-12)
        a.backward(bce_grad(y, pa))
        b.backward(bce_grad(y, pb))
    same_nodes(a, b)
    b.predict([0.3, 0.1])
    b.backward(0.5, update=False)  # gradients only: the values stay
    a.predict([0.3, 0.1])
    a.backward(0.5, update=False)
    same_nodes(a, b)


def test_user_loop_refuses_what_the_careful_path_refuses():
    m = line_model().compile(engine="compiled")
    with pytest.raises(tp.InputCountError):
        m.predict([1.0])
    with pytest.raises(TypeError, match="must be a number"):
        m.predict(["a", 1.0])
    with pytest.raises(TypeError, match="must be a number"):
        m.predict([True, 1.0])
    with pytest.raises(tp.NonFiniteError, match="finite"):
        m.predict([math.nan, 1.0])
    assert m.predict({"x": 0.5, "y": 0.25}) == m.predict([0.5, 0.25])
    with pytest.raises(TypeError, match="returns one number"):
        m.backward([1.0])
    m.backward()  # no seed: d(output)/d(output) = 1
    assert m.gradient == 1.0


def test_changes_made_between_calls_are_seen():
    m = line_model().compile(engine="compiled")
    ref = line_model().compile()
    for model in (m, ref):
        w = tp.parameters(model)[0]
        model.predict([0.5, 0.5])
        model.backward(0.2)
        w.value = 3.0  # by hand: the next predict must use it
        w.learning_rate = 1.0  # and the next step this rate
        model.predict([0.5, -0.5])
        model.backward(0.7)
    same_nodes(ref, m)


def test_stale_gradients_after_an_input_changes():
    m = line_model().compile(engine="compiled")
    m.predict([0.1, 0.2])
    m.backward(1.0)
    assert not tp.gradient_is_stale(m)
    m.predict([0.4, 0.2])
    assert tp.gradient_is_stale(m)
    m.backward(1.0)
    assert not tp.gradient_is_stale(m)


def test_a_diverging_step_is_an_error_not_a_nan():
    w = Parameter(1.0, learning_rate=1e300)
    m = Multiply(w, Input(name="x")).compile(engine="compiled")
    m.predict([1e10])
    with pytest.raises(tp.NonFiniteError):
        m.backward(1e10)
    assert math.isfinite(w.value)


def test_a_second_model_sharing_nodes_sends_the_first_to_the_careful_path():
    m = line_model().compile(engine="compiled")
    inner = m.children[0]
    other = Add(inner, Parameter(1.0)).compile()  # caches values of shared nodes
    assert m.predict.__name__ != "user_predict"
    before = other.predict([0.5, 0.5])
    m.predict([0.5, 0.5])
    m.backward(1.0)  # changes the shared parameters through .value
    assert other.predict([0.5, 0.5]) != before


def test_list_valued_model_in_a_user_loop():
    tp.seed(2)
    a = Softmax(Input(name="x"), Parameter(0.5), Multiply(Parameter(), Input(name="y")))
    tp.seed(2)
    b = Softmax(Input(name="x"), Parameter(0.5), Multiply(Parameter(), Input(name="y")))
    a.compile()
    b.compile(engine="compiled")
    for x, label in [([0.1, 0.2], 0), ([0.3, -0.4], 2), ([-0.2, 0.9], 1)]:
        pa, pb = a.predict(x), b.predict(x)
        assert pb == pytest.approx(pa, rel=1e-12)
        a.backward(cce_grad(label, pa))
        b.backward(cce_grad(label, pb))
    same_nodes(a, b)
    with pytest.raises(tp.InputCountError):
        b.backward([1.0, 2.0])


def test_kept_parameters_and_rates_follow_every_change():
    """The user path keeps parameters and rates in tuples: each way of changing them is seen."""
    from treeprop.losses import BCE
    from treeprop.training import set_learning_rate, train_model

    m = line_model().compile(engine="compiled")
    ref = line_model().compile()
    data = tp.datasets.moons(12, seed=2)
    for model in (m, ref):
        for x, y in data[:4]:
            model.backward(bce_grad(y, model.predict(x)))
        set_learning_rate(model, 0.3)  # every rate at once
        for x, y in data[4:6]:
            model.backward(bce_grad(y, model.predict(x)))
        train_model(model, BCE, data, epochs=2, progress=False, print_every=None)
        for x, y in data[6:9]:
            model.backward(bce_grad(y, model.predict(x)))
        model.predict(data[9][0])
        model.backward(0.4, update=False)  # no step: the next predict keeps the values
        model.predict(data[9][0])
        tp.parameters(model)[2].learning_rate = 2.0
        model.backward(bce_grad(data[9][1], model.predict(data[10][0])))
    same_nodes(ref, m)
    assert [p.learning_rate for p in tp.parameters(m)] == [0.3, 0.3, 2.0]


def test_a_learning_rate_is_saved_as_a_plain_number(tmp_path):
    m = line_model().compile(engine="compiled")
    tp.parameters(m)[1].learning_rate = 0.25
    tp.save(m, tmp_path / "m.json")
    again = tp.load(tmp_path / "m.json")
    assert [p.learning_rate for p in tp.parameters(again)] == [0.1, 0.25, 0.1]
    assert "learning_rate" in vars(tp.parameters(again)[1])


@pytest.mark.parametrize("vector", [False, True])
def test_gradients_worked_out_when_read_are_those_of_the_last_step(vector):
    """The SGD step leaves its gradients to be computed on first read: that must give
    the last step's numbers, however many steps, predicts and reads came between.

    Each model runs its whole loop on its own: a step of the other model in between
    moves the value clock, which (rightly) sends the compiled one to the careful path.
    """
    def build():
        tp.seed(5)
        return MLP([2, 8, 3], output="softmax", learning_rate=0.1) if vector \
            else MLP([2, 8, 1], output="sigmoid", learning_rate=0.1)

    def run(model, read_at):
        seen = []
        for k, (x, y) in enumerate(data):
            model.backward(grad(y, model.predict(x)))
            if k in read_at:
                seen.append([n.gradient for n in postorder(model)])
        model.predict([0.9, -0.4])  # a predict after the step leaves its gradients
        return seen

    grad = cce_grad if vector else bce_grad
    data = [(x, (1 if y else 0) if vector else y) for x, y in tp.datasets.moons(6, seed=2)]
    a, b = build().compile(), build().compile(engine="compiled")
    fast = b._program
    seen_a, seen_b = run(a, (1, 2)), run(b, (1, 2))
    assert fast.STAMP[0] > 0  # the generated step ran (the careful path writes no stamp)
    # gradients left to be read: a softmax's list values are not (the next predict
    # writes over them), so that model hands them on at once
    assert (type(fast.STAMP[2]).__name__ == "LastGradients") is not vector
    for ga, gb in zip(seen_a, seen_b):
        for u, v in zip(ga, gb):  # a list-valued node's gradient is a list
            assert v == pytest.approx(u, rel=1e-12, abs=1e-15)
    same_nodes(a, b)  # read after three more steps: the last step's gradients
    assert any(n.gradient not in (None, 0.0) for n in postorder(b) if isinstance(n, Parameter))

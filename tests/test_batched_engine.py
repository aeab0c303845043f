"""The batched engine: NumPy over a batch gives the per-sample engines' numbers."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from test_fast_engine import close, random_graph

import treeprop as tp
import treeprop.datasets as ds
from treeprop import MLP, Add, Input, Linear, Log, Multiply, Parameter, ReLU, train_model
from treeprop.graph import postorder
from treeprop.losses import BCE, CCE, MSE

REL = 1e-9


def near(a, b):
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                               rtol=REL, atol=1e-12)


@pytest.mark.parametrize("seed", range(30))
def test_random_graphs_batch_matches_per_sample(seed):
    ref, n = random_graph(seed)
    fast, _ = random_graph(seed)
    ref.compile()
    fast.compile(engine="batched")
    rng = random.Random(seed)
    X = [[rng.uniform(-2, 2) for _ in range(n)] for _ in range(7)]
    want = [ref.predict(x) for x in X]
    got = fast.predict_batch(X)
    near(got, want)
    # gradients of sum_n d_n . root(x_n): the per-sample gradients added up
    width = len(want[0]) if isinstance(want[0], list) else None
    D = [[rng.uniform(-1, 1) for _ in range(width)] if width else rng.uniform(-1, 1)
         for _ in X]
    params_ref = tp.parameters(ref)
    sums = [0.0] * len(params_ref)
    for x, d in zip(X, D):
        ref.predict(x)
        ref.backward(d, update=False)
        for k, p in enumerate(params_ref):
            sums[k] += p.gradient
    program = fast._program
    program.forward_batch(X)
    program.backward_batch(D)
    program._write_gradients()
    near([p.gradient for p in tp.parameters(fast)], sums)


def test_mlp_layers_are_lowered_to_matrices():
    tp.seed(2)
    model = MLP([3, 8, 8, 4], output="softmax").compile(engine="batched")
    program = model._program
    assert [W.shape for W in program.W] == [(8, 3), (8, 8), (4, 8)]
    assert [kind for kind, _, _ in program.acts] == ["relu", "relu"]
    assert not any(op == "node" for op, *_ in program.code)  # nothing left per node
    tp.seed(2)
    ref = MLP([3, 8, 8, 4], output="softmax").compile()
    X = np.random.default_rng(0).normal(size=(5, 3))
    near(model.predict_batch(X), [ref.predict(list(x)) for x in X])


def test_shared_weight_keeps_the_layer_as_nodes():
    x = [Input(name="a"), Input(name="b")]
    layer = Linear(x, 2)
    w = layer.units()[0].children[0].children[0]  # a weight of the first unit
    model = Add(ReLU(layer[0]), Multiply(w, layer[1]))  # the weight is used again
    model.compile(engine="batched")
    assert model._program.W == []  # not lowered: the weight has two parents
    ref_layer_value = [0.5, -0.25]
    got = model.predict(ref_layer_value)
    tp.decompile(model)
    assert math.isclose(got, model.predict(ref_layer_value), rel_tol=REL)


@pytest.mark.parametrize("batch", [1, 7, "full"])
def test_minibatch_training_matches_the_generic_loop(batch):
    data = ds.moons(40, seed=3)
    tp.seed(4)
    ref = MLP([2, 6, 5, 1], output="sigmoid", learning_rate=0.2).compile()
    tp.seed(4)
    fast = MLP([2, 6, 5, 1], output="sigmoid", learning_rate=0.2).compile(engine="batched")
    kw = dict(epochs=3, shuffle=True, progress=False, print_every=None, batch_size=batch)
    near(train_model(fast, BCE, data, **kw), train_model(ref, BCE, data, **kw))
    near([p.value for p in tp.parameters(fast)], [p.value for p in tp.parameters(ref)])


def test_full_batch_softmax_and_an_unknown_loss():
    data = ds.iris()[:60]
    tp.seed(6)
    ref = MLP([4, 5, 3], output="softmax", learning_rate=0.1).compile()
    tp.seed(6)
    fast = MLP([4, 5, 3], output="softmax", learning_rate=0.1).compile(engine="batched")
    kw = dict(epochs=4, progress=False, print_every=None, batch_size="full")
    near(train_model(fast, CCE, data, **kw), train_model(ref, CCE, data, **kw))

    def half_mse(y, p):  # not one of treeprop's losses: evaluated sample by sample
        return 0.5 * sum((a - b) ** 2 for a, b in zip(tp.losses.one_hot(y, 3), p))

    def half_mse_grad(y, p):
        return [b - a for a, b in zip(tp.losses.one_hot(y, 3), p)]

    near(train_model(fast, half_mse, half_mse_grad, data, **kw),
         train_model(ref, half_mse, half_mse_grad, data, **kw))


def test_per_sample_api_matches_recursive_engine():
    a, n = random_graph(11, root="scalar")
    b, _ = random_graph(11, root="scalar")
    tp.decompile(a)
    a.inputs = a.find_input_nodes()
    b.compile(engine="batched")
    for step in range(3):
        x = [0.3 * step - 0.4] * n
        near(b.predict(x), a.predict(x))
        a.backward(0.5)
        b.backward(0.5)
        for u, v in zip(postorder(a), postorder(b)):
            if isinstance(u, Parameter):
                near(v.value, u.value)
                near(v.gradient, u.gradient)
    close(b.forward(), a.forward(), 1e-9)


def test_per_sample_train_model_on_the_batched_engine():
    data = ds.fahrenheit_celsius(30)
    f = Input(name="f")
    ref = Add(Multiply(Parameter(0.5), f), Parameter(0.1)).compile()
    g = Input(name="f")
    fast = Add(Multiply(Parameter(0.5), g), Parameter(0.1)).compile(engine="batched")
    kw = dict(epochs=3, progress=False, print_every=None)
    near(train_model(fast, MSE, data, **kw), train_model(ref, MSE, data, **kw))


def test_errors():
    x = Input(name="x")
    model = Log(Add(x, Parameter(0.0))).compile(engine="batched")
    with pytest.raises(tp.NonFiniteError):
        model.predict([-1.0])
    with pytest.raises(tp.InputCountError):
        model.predict_batch(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="batch_size"):
        train_model(model, MSE, [([1.0], 0.0)], epochs=1, batch_size=0, progress=False)
    model.compile()
    assert not hasattr(model, "predict_batch")


def test_callback_sees_trained_parameters_on_the_batched_engine():
    data = ds.moons(30, seed=8)
    seen = {}
    for engine in ("cached", "batched"):
        tp.seed(9)
        model = MLP([2, 4, 1], output="sigmoid", learning_rate=0.3).compile(engine=engine)
        values = []
        train_model(model, BCE, data, epochs=3, progress=False, print_every=None,
                    batch_size=10, callback=lambda e, m, model=model, values=values:
                    values.append([p.value for p in tp.parameters(model)]))
        seen[engine] = values
    near(seen["batched"], seen["cached"])


@pytest.mark.parametrize("engine", ["compiled", "batched"])
def test_backward_refuses_a_seed_that_does_not_fit_the_output(engine):
    from treeprop import MLP, InputCountError

    vector = MLP([2, 3, 3], output="softmax").compile(engine=engine)
    vector.predict([0.1, 0.2])
    with pytest.raises(TypeError, match="returns 3 values"):
        vector.backward(1.0)
    with pytest.raises(InputCountError, match="3 outputs but backward got 2"):
        vector.backward([1.0, 2.0])
    scalar = MLP([2, 3, 1]).compile(engine=engine)
    scalar.predict([0.1, 0.2])
    with pytest.raises(TypeError, match="returns one number"):
        scalar.backward([1.0])
    scalar.backward()  # the default seed is 1.0

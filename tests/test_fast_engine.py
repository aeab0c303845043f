"""The compiled engine gives the recursive engine's numbers, through the same API."""

from __future__ import annotations

import math
import random
import subprocess
import sys
import warnings

import pytest

import treeprop as tp
import treeprop.datasets  # noqa: F401
from treeprop import (
    MLP,
    Add,
    Constant,
    Divide,
    Exp,
    Input,
    Linear,
    Log,
    Macro,
    Multiply,
    Operation,
    Output,
    Parameter,
    Power,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    train_model,
)
from treeprop.graph import postorder
from treeprop.losses import BCE, CCE, MSE

REL = 1e-12


def close(a, b, rel=REL):
    if isinstance(a, list) or isinstance(b, list):
        assert isinstance(a, list) and isinstance(b, list), (a, b)
        assert len(a) == len(b)
        for u, v in zip(a, b):
            close(u, v, rel)
        return
    assert math.isclose(a, b, rel_tol=rel, abs_tol=1e-300), (a, b)


class Square(Macro):
    """A user macro: x * x."""

    def expand(self, arguments):
        return Multiply(arguments[0], arguments[0])


class SoftmaxOf(Macro):
    """A user macro whose value is a list (so it can only be the root)."""

    def expand(self, arguments):
        return Softmax(arguments)


def random_graph(seed: int, *, size: int = 25, root: str | None = None):
    """A random model built only from a seeded generator: shared nodes, macros, all ops.

    Returns (model, n_inputs). Calling it twice with one seed builds two equal,
    independent graphs.
    """
    rng = random.Random(seed)
    tp.seed(seed)  # Linear draws its weights from treeprop's own generator
    n_in = rng.randint(1, 4)
    inputs = [Input(name=f"x{i}") for i in range(n_in)]
    pool: list = list(inputs)
    pool += [Parameter(rng.uniform(-1, 1), learning_rate=0.05) for _ in range(rng.randint(1, 4))]
    used: set[int] = set()

    def pick():
        node = rng.choice(pool)
        used.add(id(node))
        return node

    for _ in range(size):
        kind = rng.choice(["add", "mul", "relu", "sigmoid", "tanh", "neg", "exp", "log", "div",
                           "pow", "powint", "linear", "square", "param", "const", "mul3"])
        if kind == "add":
            node = Add([pick() for _ in range(rng.randint(2, 4))])
        elif kind == "mul":
            node = Multiply(pick(), pick())
        elif kind == "mul3":
            node = Multiply(pick(), Tanh(pick()), Tanh(pick()), Sigmoid(pick()))
        elif kind == "relu":
            node = ReLU(pick())
        elif kind == "sigmoid":
            node = Sigmoid(pick())
        elif kind == "tanh":
            node = Tanh(pick())
        elif kind == "neg":
            node = -pick()
        elif kind == "exp":
            node = Exp(Tanh(pick()))
        elif kind == "log":
            node = Log(Add(Exp(Tanh(pick())), Constant(0.5)))
        elif kind == "div":
            node = Divide(pick(), Add(Exp(Tanh(pick())), 0.5))
        elif kind == "pow":
            node = Power(Sigmoid(pick()) + 0.1, exponent=rng.choice([0.5, 1.5, -1.0, 0.0]))
        elif kind == "powint":
            node = Power(Tanh(pick()), exponent=rng.choice([2, 3]))
        elif kind == "linear":
            args = [pick() for _ in range(rng.randint(1, 3))]
            layer = Linear(args, rng.randint(1, 3), learning_rate=0.05)
            if layer.outputs == 1:
                node = layer
            else:
                pool.extend(layer.units())
                node = Tanh(layer[0])
        elif kind == "square":
            node = Square(Tanh(pick()))
        elif kind == "param":
            node = Parameter(rng.uniform(-1, 1), learning_rate=0.05) * pick()
        else:
            node = Add(pick(), Constant(rng.uniform(-2, 2)))
        pool.append(node)
    loose = [n for n in pool[n_in:] if id(n) not in used and not isinstance(n, (Input,))]
    tops = [Tanh(n) for n in loose[-6:]] + [Tanh(pool[-1])]
    root = root or rng.choice(["scalar", "scalar", "output", "softmax", "macro"])
    if root == "scalar":
        model = Add(tops)
    elif root == "output":
        model = Output(tops + [Add(tops)])
    elif root == "softmax":
        model = Softmax(tops + [Multiply(tops[0], 2.0)])
    else:
        model = SoftmaxOf(tops + [Constant(0.25)])
    return model, len(model.find_input_nodes())


def pair(seed, **kw):
    """The same random model twice: one on the recursive engine, one compiled."""
    a, n = random_graph(seed, **kw)
    b, _ = random_graph(seed, **kw)
    tp.decompile(a)
    a.inputs = a.find_input_nodes()
    b.compile(engine="compiled", **kw.get("opts", {}))
    return a, b, n


def vector_len(model):
    v = model.forward()
    return len(v) if isinstance(v, list) else None


@pytest.mark.parametrize("seed", range(40))
def test_random_graphs_match_recursive_engine(seed):
    a, b, n = pair(seed)
    rng = random.Random(1000 + seed)
    na, nb = postorder(a), postorder(b)
    assert [type(u) for u in na] == [type(v) for v in nb]
    width = vector_len(a)
    for step in range(4):
        x = [rng.uniform(-2, 2) for _ in range(n)]
        close(b.predict(x), a.predict(x))
        d = [rng.uniform(-1, 1) for _ in range(width)] if width else rng.uniform(-1, 1)
        a.backward(d, update=step % 2 == 0)
        b.backward(d, update=step % 2 == 0)
        for u, v in zip(na, nb):
            close(v.gradient, u.gradient)
            if isinstance(u, Parameter):
                close(v.value, u.value)
    # a parameter changed from outside is seen by the compiled program
    pa = [u for u in na if isinstance(u, Parameter)]
    pb = [v for v in nb if isinstance(v, Parameter)]
    pa[0].value = 0.375
    pb[0].value = 0.375
    x = [0.5] * n
    close(b.predict(x), a.predict(x))
    close(b.forward(), a.forward())


@pytest.mark.parametrize("seed", range(6))
def test_small_chunks_give_the_same_numbers(seed):
    whole, _ = random_graph(seed)
    cut, n = random_graph(seed)
    whole.compile(engine="compiled")
    cut.compile(engine="compiled", chunk=3, fuse=0)
    assert not whole._program.chunked and cut._program.chunked
    width = vector_len(whole)
    for k in range(3):
        x = [0.1 * k - 0.3] * n
        close(cut.predict(x), whole.predict(x))
        d = [0.5] * width if width else -0.75
        cut.backward(d)
        whole.backward(d)
        for u, v in zip(postorder(whole), postorder(cut)):
            close(v.gradient, u.gradient)


def _moons_pair(output="sigmoid"):
    tp.seed(3)
    a = MLP([2, 5, 4, 1], output=output, learning_rate=0.1)
    tp.seed(3)
    b = MLP([2, 5, 4, 1], output=output, learning_rate=0.1)
    return a.compile(), b.compile(engine="compiled")


def test_train_model_matches_and_syncs_at_epoch_ends():
    a, b = _moons_pair()
    data = tp.datasets.moons(60, seed=1)
    seen_a, seen_b = [], []
    ha = train_model(a, BCE, data, epochs=4, shuffle=True, progress=False, print_every=None,
                     callback=lambda e, m: seen_a.append([p.value for p in tp.parameters(a)]))
    hb = train_model(b, BCE, data, epochs=4, shuffle=True, progress=False, print_every=None,
                     callback=lambda e, m: seen_b.append([p.value for p in tp.parameters(b)]))
    close(hb, ha)
    for u, v in zip(seen_a, seen_b):
        close(v, u)  # the callback sees the trained parameters
    for u, v in zip(postorder(a), postorder(b)):
        close(v.gradient, u.gradient)  # the gradients of the last step
        if isinstance(u, Input):
            assert v.value == u.value  # the inputs hold the last sample
    for x, _ in data[:10]:
        close(b.predict(x), a.predict(x))


def test_train_model_softmax_cce_matches():
    tp.seed(5)
    a = MLP([4, 6, 3], output="softmax", learning_rate=0.05).compile()
    tp.seed(5)
    b = MLP([4, 6, 3], output="softmax", learning_rate=0.05).compile(engine="compiled")
    data = tp.datasets.iris()[::5]
    close(train_model(b, CCE, data, epochs=2, progress=False, print_every=None),
          train_model(a, CCE, data, epochs=2, progress=False, print_every=None))
    close(b.predict(data[0][0]), a.predict(data[0][0]))


def test_train_model_learning_rate_option_reaches_the_program():
    a, b = _moons_pair()
    data = tp.datasets.moons(30, seed=2)
    close(train_model(b, MSE, data, epochs=2, learning_rate=0.3, progress=False,
                      print_every=None),
          train_model(a, MSE, data, epochs=2, learning_rate=0.3, progress=False,
                      print_every=None))


def _chain(n):
    x = Input(name="x")
    node = x
    for k in range(n):
        node = Tanh(Add(Multiply(node, Parameter(0.9, learning_rate=0.01)),
                        Constant(0.01 * (k % 7))))
    return node


def test_chunked_chain_deeper_than_the_recursion_limit():
    depth = sys.getrecursionlimit() + 500
    a = _chain(depth).compile()
    b = _chain(depth).compile(engine="compiled")
    assert b._program.chunked
    close(b.predict([0.7]), a.predict([0.7]))
    a.backward(0.5)
    b.backward(0.5)
    for u, v in zip(tp.parameters(a)[::41], tp.parameters(b)[::41]):
        close(v.value, u.value)
        close(v.gradient, u.gradient)


@pytest.mark.slow
def test_deep_chain_compiles_and_matches_cached_engine():
    def chain(n):
        x = Input(name="x")
        node = x
        for k in range(n):
            node = Tanh(Add(Multiply(node, Parameter(0.9, learning_rate=0.01)),
                            Constant(0.01 * (k % 7))))
        return node

    a = chain(10_000).compile()
    b = chain(10_000).compile(engine="compiled")
    assert b._program.chunked
    close(b.predict([0.7]), a.predict([0.7]))
    a.backward(0.5)
    b.backward(0.5)
    pa = tp.parameters(a)
    pb = tp.parameters(b)
    assert len(pb) == 10_000
    for u, v in zip(pa[::97], pb[::97]):
        close(v.value, u.value)
        close(v.gradient, u.gradient)
    close(b.predict([0.2]), a.predict([0.2]))


class Cube(Operation):
    arity = 1

    def op(self, x):
        return x[0] ** 3

    def grad(self):
        return [3 * self.children[0].forward() ** 2]


class LoudAdd(Add):
    def op(self, x):
        return sum(x) + 1.0


def test_unknown_node_classes_raise_a_clear_error():
    from treeprop.fast import UnsupportedNodeError

    with pytest.raises(UnsupportedNodeError, match="Cube"):
        Add(Cube(Input()), Parameter(1.0)).compile(engine="compiled")
    with pytest.raises(UnsupportedNodeError, match="overrides op"):
        LoudAdd(Input(), 2.0).compile(engine="compiled")
    assert issubclass(UnsupportedNodeError, tp.TreepropError)


def test_fallback_keeps_the_cached_engine():
    x = Input(name="x")
    model = Add(Cube(x), Parameter(1.0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.compile(engine="compiled", fallback=True)
    assert any("Cube" in str(w.message) for w in caught)
    assert "_program" not in model.__dict__
    assert model.predict([2.0]) == 9.0


def test_unknown_engine_lists_the_known_ones():
    with pytest.raises(ValueError, match="compiled"):
        Add(Input(), 1.0).compile(engine="warp")


def test_back_to_cached_and_decompiled_keeps_trained_values():
    a, b = _moons_pair()
    data = tp.datasets.moons(20, seed=4)
    train_model(b, MSE, data, epochs=2, progress=False, print_every=None)
    trained = b.predict([0.3, -0.2])
    b.compile()  # the cached engine again
    assert "_program" not in b.__dict__ and "predict" not in b.__dict__
    close(b.predict([0.3, -0.2]), trained)
    b.compile(engine="codegen")
    tp.decompile(b)
    assert "_program" not in b.__dict__
    close(b.predict([0.3, -0.2]), trained)


def test_predict_and_backward_errors_match_other_engines():
    x = Input(name="x")
    model = Log(Add(x, Parameter(0.0))).compile(engine="compiled")
    with pytest.raises(tp.InputCountError):
        model.predict([1.0, 2.0])
    with pytest.raises(tp.NonFiniteError, match="Log"):
        model.predict([-1.0])
    assert model.predict({"x": 2.0}) == math.log(2.0)
    with pytest.raises(TypeError):
        model.backward([1.0])
    soft = Softmax(Input(), Parameter(0.5)).compile(engine="compiled")
    soft.predict([0.1])
    with pytest.raises(TypeError):
        soft.backward(1.0)
    with pytest.raises(tp.InputCountError):
        soft.backward([1.0, 2.0, 3.0])


def test_forward_after_predict_and_changed_inputs():
    x, y = Input(name="x"), Input(name="y")
    model = Add(Multiply(x, Parameter(2.0)), y).compile(engine="compiled")
    assert model.predict([1.0, 1.0]) == 3.0
    assert model.forward() == 3.0
    y.value = 5.0  # an input set directly is read by forward()
    assert model() == 7.0


def test_gradient_ticks_and_staleness():
    p = Parameter(0.5)
    model = Multiply(p, Input(name="x")).compile(engine="compiled")
    model.predict([2.0])
    model.backward(1.0, update=False)
    assert p.gradient == 2.0 and not tp.gradient_is_stale(model)
    p.value = 1.0
    assert tp.gradient_is_stale(model)


def test_import_treeprop_stays_light():
    out = subprocess.run(
        [sys.executable, "-c",
         "import sys, treeprop; print('treeprop.fast' in sys.modules, "
         "'treeprop.batched' in sys.modules)"],
        capture_output=True, text=True, check=True,
    )
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("engine", ["cached", "compiled"])
def test_diverging_training_raises_nonfinite_on_every_engine(engine):
    x = Input(name="x")
    model = Multiply(Parameter(1.0, learning_rate=10.0), x).compile(engine=engine)
    data = [([float(k)], 1.0) for k in range(1, 30)]
    with pytest.raises(tp.NonFiniteError):
        train_model(model, MSE, data, epochs=5, progress=False, print_every=None)


def test_an_epoch_loop_without_sync_keeps_the_program_ahead_until_the_end():
    a, b = _moons_pair()
    data = tp.datasets.moons(25, seed=5)
    kw = dict(epochs=3, progress=False, print_every=None)
    train_model(a, MSE, data, **kw)
    train_model(b, MSE, data, **kw)  # no callback: only the last epoch syncs
    close([p.value for p in tp.parameters(b)], [p.value for p in tp.parameters(a)])
    close(b._program.P, [p.value for p in tp.parameters(b)])


@pytest.mark.parametrize("engine", ["compiled", "batched"])
def test_gradcheck_and_save_load_work_on_fast_engines(engine, tmp_path):
    tp.seed(1)
    model = MLP([3, 4, 2], output="softmax").compile(engine=engine)
    x = [0.1, 0.2, -0.3]
    assert tp.gradcheck(model, x, loss=CCE, target=1).ok
    train_model(model, CCE, [(x, 1), ([0.3, -0.1, 0.2], 0)], epochs=3, progress=False,
                print_every=None)
    tp.save(model, tmp_path / "m.json")
    again = tp.load(tmp_path / "m.json")  # a plain model: the program is not saved
    assert "_program" not in again.__dict__
    close(again.predict(x), model.predict(x))


@pytest.mark.parametrize("seed", range(8))
def test_chunked_training_matches_recursive_engine(seed):
    a, n = random_graph(seed, root="scalar")
    b, _ = random_graph(seed, root="scalar")
    a.compile()
    b.compile(engine="compiled", chunk=4, fuse=0)
    assert b._program.chunked
    rng = random.Random(seed)
    data = [([rng.uniform(-1, 1) for _ in range(n)], rng.uniform(-1, 1)) for _ in range(12)]
    kw = dict(epochs=2, shuffle=True, progress=False, print_every=None)
    close(train_model(b, MSE, data, **kw), train_model(a, MSE, data, **kw))
    # new learning rates are written into the code afresh
    close(train_model(b, MSE, data, learning_rate=0.02, **kw),
          train_model(a, MSE, data, learning_rate=0.02, **kw))
    for u, v in zip(postorder(a), postorder(b)):
        if isinstance(u, Parameter):
            close(v.value, u.value)
            close(v.gradient, u.gradient)

"""Layer 5 (treeprop.macros): Macro, Linear, MLP."""

from __future__ import annotations

import math

import pytest

from treeprop import (
    CCE,
    MLP,
    Add,
    Input,
    Linear,
    Macro,
    Multiply,
    Output,
    Parameter,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    gradcheck,
    parameters,
    postorder,
    seed,
    train_model,
)
from treeprop.macros import outermost_macro
from treeprop.training import accuracy


def count(model, cls):
    return sum(isinstance(n, cls) for n in postorder(model))


class Square(Macro):
    """A user macro: x * x."""

    def expand(self, arguments):
        (x,) = arguments
        return Multiply(x, x)


def test_a_user_macro_is_a_pass_through_node():
    p = Parameter(3.0, learning_rate=0.1)
    sq = Square(p)
    assert sq.arguments == [p]
    assert isinstance(sq.expansion, Multiply) and sq.children == [sq.expansion]
    assert sq.forward() == 9.0
    assert sq.members() == [sq.expansion]
    assert sq.expansion.macro is sq
    sq.backward(update=False)
    assert sq.gradient == 1.0 and sq.expansion.gradient == 1.0 and p.gradient == 6.0
    assert gradcheck(Add(sq, Parameter(1.0))).ok


def test_linear_one_output_structure():
    xs = [Input(name=f"x{i}") for i in range(3)]
    layer = Linear(xs)
    assert len(layer.parameters()) == 3 * 1 + 1
    expansion = layer.expansion
    assert isinstance(expansion, Add) and len(expansion.children) == 4  # 3 products + bias
    assert count(layer, Multiply) == 3
    # Linear + Add + 3 Multiply + 3 weights + bias, plus the 3 inputs
    assert len(postorder(layer)) == 1 + 1 + 3 + 3 + 1 + 3
    assert set(map(id, layer.members())).isdisjoint(map(id, xs))
    for x in xs:
        x.value = 1.0
    assert layer.forward() == pytest.approx(sum(p.value for p in layer.parameters()))


@pytest.mark.parametrize("n_in, n_out", [(1, 1), (2, 3), (4, 2), (3, 5)])
def test_linear_parameter_count_and_outputs(n_in, n_out):
    xs = [Input(0.5) for _ in range(n_in)]
    layer = Linear(xs, n_out)
    assert len(layer.parameters()) == n_in * n_out + n_out
    assert len(parameters(layer)) == n_in * n_out + n_out
    assert len(Linear(xs, n_out, bias=False).parameters()) == n_in * n_out
    value = layer.forward()
    if n_out == 1:
        assert isinstance(value, float)
    else:
        assert isinstance(value, list) and len(value) == n_out
        assert len(layer) == n_out and [u.forward() for u in layer] == value
        assert layer[1].forward() == value[1]
        assert isinstance(layer.expansion, Output)


def test_linear_initialisations():
    xs = [Input() for _ in range(24)]
    seed(0)
    he = Linear(xs, 4, init="he")
    limit = math.sqrt(6.0 / 24)
    weights = [p for u in he for p in parameters(u)]
    assert all(abs(p.value) <= limit for p in weights)
    assert max(abs(p.value) for p in weights) > limit / 2
    biases = [u.children[-1] for u in he]
    assert all(b.value == 0.0 for b in biases)
    uni = Linear(xs, 4, init="uniform")
    assert max(abs(p.value) for p in uni.parameters()) > limit
    xav = Linear(xs, 4, init="xavier")
    assert all(abs(p.value) <= math.sqrt(3.0 / 24) for p in xav.parameters())
    with pytest.raises(ValueError, match="init"):
        Linear(xs, init="zeros")


def test_linear_rejects_bad_arguments():
    with pytest.raises(ValueError, match="positive whole number"):
        Linear([Input()], 0)
    with pytest.raises(ValueError, match="positive whole number"):
        Linear([Input()], 2.0)
    with pytest.raises(ValueError, match="at least one input"):
        Linear([])


def test_linear_learning_rate_reaches_every_parameter():
    layer = Linear([Input(), Input()], 2, learning_rate=0.3)
    assert {p.learning_rate for p in layer.parameters()} == {0.3}


def test_mlp_structure():
    seed(1)
    net = MLP([2, 4, 3])
    assert [x.name for x in net.arguments] == ["x0", "x1"]
    assert len(net.parameters()) == (2 * 4 + 4) + (4 * 3 + 3)
    assert count(net, ReLU) == 4  # activations between layers only
    # the layers' units are wired in directly (a list-valued Linear cannot feed a ReLU),
    # so the Linear macros are not nodes of the graph; their members remember them
    assert count(net, Linear) == 0
    layers = {id(n.macro): n.macro for n in net.members() if isinstance(n.macro, Linear)}
    assert sorted(layer.label() for layer in layers.values()) == ["layer1", "layer2"]
    assert isinstance(net.expansion, Output) and len(net.forward()) == 3
    assert net.predict([0.1, 0.2]) == net.forward()
    tanh_net = MLP([3, 5, 1], "tanh")
    assert count(tanh_net, Tanh) == 5 and isinstance(tanh_net.forward(), float)
    assert isinstance(MLP([2, 3, 1], output="sigmoid").expansion, Sigmoid)
    soft = MLP([2, 3, 3], output="softmax")
    assert isinstance(soft.expansion, Softmax)
    assert sum(soft.forward()) == pytest.approx(1.0)


def test_mlp_uses_given_inputs():
    a, b = Input(name="a"), Input(name="b")
    net = MLP([2, 3, 1], inputs=[a, b])
    assert net.find_input_nodes() == [a, b]
    with pytest.raises(ValueError, match="sizes\\[0\\] is 3"):
        MLP([3, 1], inputs=[a, b])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"sizes": [2]}, "two or more"),
        ({"sizes": [2, 0]}, "two or more"),
        ({"sizes": [2, 3], "activation": "swish"}, "activation must be one of"),
        ({"sizes": [2, 3], "output": "relu"}, "output must be"),
        ({"sizes": [2, 1], "output": "softmax"}, "at least two classes"),
    ],
)
def test_mlp_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MLP(**kwargs)


def test_macro_membership_is_recorded_innermost_first():
    net = MLP([2, 2, 1])
    members = net.members()
    layers = {id(n.macro): n.macro for n in members if isinstance(n.macro, Linear)}
    assert len(layers) == 2
    assert all(layer.macro is net for layer in layers.values())
    for layer in layers.values():
        assert layer.members()
        for node in layer.members():
            assert node.macro is layer
            assert outermost_macro(node) is net
    relus = [n for n in members if isinstance(n, ReLU)]
    assert len(relus) == 2
    assert all(r.macro is net for r in relus)  # the MLP made them, not a Linear
    assert all(outermost_macro(n) is net for n in members)
    assert all(x.macro is None for x in net.arguments)  # the inputs are not the MLP's


def test_mlp_gradients_are_right():
    seed(3)
    net = MLP([3, 4, 3], "tanh", output="softmax").compile()
    assert gradcheck(net, [0.2, -0.4, 0.9], loss=CCE, target=1).ok
    assert gradcheck(MLP([2, 3, 2], "sigmoid"), [0.5, -0.5], wrt="both").ok


def three_clusters(n_per_class=12):
    centres = [(-1.0, -1.0), (1.0, -1.0), (0.0, 1.0)]
    data = []
    for k, (cx, cy) in enumerate(centres):
        for i in range(n_per_class):
            angle = 2 * math.pi * i / n_per_class
            data.append(([cx + 0.3 * math.cos(angle), cy + 0.3 * math.sin(angle)], k))
    return data


def test_mlp_with_softmax_learns_three_separable_classes():
    seed(0)
    net = MLP([2, 8, 3], output="softmax", learning_rate=0.05).compile()
    data = three_clusters()
    history = train_model(net, CCE, data, epochs=30, shuffle=True, print_every=None,
                          progress=False)
    assert history[-1] < history[0] / 5
    assert accuracy(net, data) == 1.0

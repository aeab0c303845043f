"""Layer 1 (treeprop.nodes): leaves, inner nodes, forward evaluation by recursion."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import finite

from treeprop import (
    Add,
    ArityError,
    Constant,
    Input,
    Multiply,
    Negate,
    NeuralNetNode,
    NonFiniteError,
    Operation,
    Parameter,
    ReLU,
    Sigmoid,
    seed,
)
from treeprop.ops import Divide, Power


def test_leaves_hold_their_values():
    assert Input().value == 0.0
    assert Input(2.5, name="t").value == 2.5
    assert Input(2.5, name="t").label() == "t"
    assert Constant(3).value == 3.0 and isinstance(Constant(3).value, float)
    p = Parameter(0.25, learning_rate=0.5)
    assert (p.value, p.learning_rate) == (0.25, 0.5)
    assert Parameter().learning_rate == 0.01


def test_parameter_start_values_are_seeded_and_in_range():
    seed(123)
    first = [Parameter().value for _ in range(50)]
    seed(123)
    again = [Parameter().value for _ in range(50)]
    seed(124)
    other = [Parameter().value for _ in range(50)]
    assert first == again
    assert first != other
    assert all(-1.0 <= v <= 1.0 for v in first)
    assert len(set(first)) == 50


def test_forward_is_the_formula_of_the_seed_example():
    # pred(x) = w2 * max(0, w1 * x + b1) + b2
    x = Input(2.0, name="x")
    w1, b1, w2, b2 = (Parameter(v) for v in (0.5, -0.25, 3.0, 1.0))
    model = Add(Multiply(w2, ReLU(Add(Multiply(w1, x), b1))), b2)
    assert model.forward() == 3.0 * max(0.0, 0.5 * 2.0 - 0.25) + 1.0
    assert model() == model.forward()
    x.value = -2.0
    assert model.forward() == 1.0  # the ReLU blocks a negative sum


def test_children_keep_their_order_and_list_form_equals_varargs():
    a, b, c = Input(1.0), Input(2.0), Input(3.0)
    node = Divide(a, b)
    assert node.children == [a, b]
    assert node.forward() == 0.5
    assert Add(a, b, c).children == Add([a, b, c]).children == [a, b, c]
    assert isinstance(Add(a, b).children, list)


def test_plain_numbers_become_constants():
    x = Input(2.0)
    node = Add(x, 3)
    assert isinstance(node.children[1], Constant)
    assert node.forward() == 5.0
    with pytest.raises(TypeError, match="NeuralNetNode or a number"):
        Add(x, "3")
    with pytest.raises(TypeError):
        Add(x, True)


def test_python_operators_build_nodes():
    x, y = Input(3.0), Input(2.0)
    cases = {
        x + y: 5.0, x - y: 1.0, x * y: 6.0, x / y: 1.5, x**2: 9.0, -x: -3.0,
        2 + x: 5.0, 2 - x: -1.0, 2 * x: 6.0, 6 / x: 2.0,
    }
    for node, expected in cases.items():
        assert isinstance(node, NeuralNetNode)
        assert node.forward() == pytest.approx(expected)
    assert isinstance(x - y, Add) and isinstance((x - y).children[1], Negate)
    assert isinstance(x**2, Power)


def test_same_node_twice_is_one_node():
    x = Input(3.0)
    node = x * x
    assert node.children[0] is node.children[1]
    assert node.forward() == 9.0
    assert Input(1.0) != Input(1.0)  # identity, not value, decides equality


def test_arity_is_checked():
    with pytest.raises(ArityError, match="exactly 1 child"):
        ReLU(Input(), Input())
    with pytest.raises(ArityError, match="exactly 2 children"):
        Divide(Input())
    with pytest.raises(ArityError, match="at least one child"):
        Add()


def test_leaf_values_must_be_finite_numbers():
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(NonFiniteError, match="finite"):
            Input(bad)
        x = Input(1.0)
        with pytest.raises(NonFiniteError):
            x.value = bad
        assert x.value == 1.0  # a rejected value leaves the old one
    with pytest.raises(TypeError):
        Input("1.0")
    with pytest.raises(NonFiniteError):
        Parameter(0.1, learning_rate=math.nan)


def test_constants_cannot_change():
    c = Constant(2.0)
    with pytest.raises(AttributeError, match="Constant cannot change"):
        c.value = 3.0
    assert c.value == 2.0


def test_a_user_defined_operation_plugs_in():
    class Square(Operation):
        arity = 1

        def op(self, x):
            return x[0] * x[0]

        def grad(self):
            return [2.0 * self.children[0].forward()]

    p = Parameter(3.0, learning_rate=0.1)
    sq = Square(p)
    assert sq.forward() == 9.0
    sq.backward()
    assert p.value == pytest.approx(3.0 - 0.1 * 6.0)


def test_missing_op_says_which_class():
    class Half(Operation):
        pass

    with pytest.raises(NotImplementedError, match="Half does not define op"):
        Half(Input()).forward()


def test_nonfinite_result_names_the_node_and_the_values():
    x = Input(1e200, name="big")
    node = Multiply(x, x)
    with pytest.raises(NonFiniteError, match=r"Multiply produced inf .*1e\+200"):
        node.forward()


@given(st.lists(finite, min_size=1, max_size=6))
def test_forward_of_sum_and_product_matches_python(values):
    leaves = [Input(v) for v in values]
    assert Add(leaves).forward() == pytest.approx(math.fsum(values), abs=1e-12)
    assert Multiply(leaves).forward() == pytest.approx(math.prod(values), rel=1e-12, abs=1e-300)


@given(finite)
def test_sigmoid_forward(v):
    assert Sigmoid(Input(v)).forward() == pytest.approx(1.0 / (1.0 + math.exp(-v)), rel=1e-12)


def test_repr_is_readable():
    assert repr(Parameter(0.5, name="w")) == "Parameter(0.5, name='w')"
    assert repr(Add(Input(1.0), Constant(2.0))) == "Add(Input(1), Constant(2))"
    big = Add([Input(float(i)) for i in range(6)])
    assert "6 children" in repr(big)


def test_repr_of_a_deep_or_cyclic_graph_is_short_not_a_recursion_error():
    node = Input(1.0)
    for _ in range(5000):
        node = Power(Multiply(node, Parameter(1.0)), exponent=1.0)
    text = repr(node)
    assert text.startswith("Power(Multiply(Power(") and "(...)" in text
    assert len(text) < 500
    loop = Add(Input(1.0), name="loop")
    loop.children.append(loop)
    assert repr(loop).endswith("Add(...))))))))")


def test_gradient_of_a_parameter_goes_stale_when_an_input_beside_it_changes():
    # y = w * x: dy/dw is x, so changing x (a leaf not below w) makes w's gradient old.
    from treeprop import Input, Multiply, Parameter, gradient_is_stale

    w, x = Parameter(2.0), Input(3.0)
    y = Multiply(w, x)
    y.backward(update=False)
    assert w.gradient == 3.0 and not gradient_is_stale(w)
    x.value = 5.0
    assert gradient_is_stale(w)
    assert gradient_is_stale(w, root=y)
    y.backward(update=False)
    assert w.gradient == 5.0 and not gradient_is_stale(w)

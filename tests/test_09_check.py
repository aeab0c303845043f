"""Layer 9 (treeprop.check): gradcheck and central differences."""

from __future__ import annotations

import pytest

from treeprop import (
    BCE,
    MSE,
    Add,
    Input,
    Multiply,
    Output,
    Parameter,
    Sigmoid,
    central_difference,
    gradcheck,
)
from treeprop.check import count_nodes


class WrongMultiply(Multiply):
    """A product whose grad() forgets one factor: the bug gradcheck must catch."""

    def grad(self):
        return [1.0 for _ in self.children]


def model_with(cls=Multiply):
    w, b = Parameter(0.7, name="w"), Parameter(-0.2, name="b")
    x = Input(1.5, name="x")
    return Sigmoid(Add(cls(w, x), b)), w, b, x


def test_gradcheck_passes_a_correct_model():
    model, w, b, x = model_with()
    result = gradcheck(model)
    assert result.ok and bool(result)
    assert [row.node for row in result.rows] == [w, b]
    assert result.max_error < 1e-8
    assert str(result).startswith("gradcheck OK: 2 derivatives")


def test_gradcheck_catches_a_wrong_local_derivative():
    model, w, b, x = model_with(WrongMultiply)
    result = gradcheck(model)
    assert not result.ok and not bool(result)
    assert result.worst.node is w  # b's derivative does not pass through the product
    assert result.worst.numeric == pytest.approx(x.value * result.worst.backprop, rel=1e-6)
    text = str(result)
    assert "MISMATCH" in text and "name='w'" in text


def test_gradcheck_leaves_values_alone_and_sets_inputs():
    model, w, b, x = model_with()
    gradcheck(model, [0.25])
    assert x.value == 0.25
    assert (w.value, b.value) == (0.7, -0.2)


def test_gradcheck_with_respect_to_inputs_and_both():
    model, w, b, x = model_with()
    assert [r.node for r in gradcheck(model, wrt="inputs").rows] == [x]
    assert [r.node for r in gradcheck(model, wrt="both").rows] == [w, x, b]
    with pytest.raises(ValueError, match="wrt"):
        gradcheck(model, wrt="everything")


def test_gradcheck_through_a_loss():
    model, w, b, x = model_with()
    assert gradcheck(model, loss=BCE, target=1.0).ok
    assert gradcheck(model, loss=MSE, target=0.3).ok
    broken, *_ = model_with(WrongMultiply)
    assert not gradcheck(broken, loss=MSE, target=0.3).ok


def test_gradcheck_of_a_list_valued_model():
    a, b = Parameter(0.4), Parameter(-1.1)
    model = Output(Multiply(a, b), Sigmoid(a))
    result = gradcheck(model)
    assert result.ok and len(result.rows) == 2
    wrong = Output(WrongMultiply(a, b), Sigmoid(a))
    assert not gradcheck(wrong).ok


def test_nothing_to_check():
    result = gradcheck(Add(Input(1.0), Input(2.0)))
    assert result.ok and result.rows == []
    assert "nothing to check" in str(result)


def test_tolerance_is_respected():
    model, *_ = model_with(WrongMultiply)
    loose = gradcheck(model, tolerance=10.0)
    assert loose.ok and loose.max_error > 1e-3


def test_central_difference_of_a_known_function():
    x = Input(3.0)
    cube = Multiply(x, x, x)
    assert central_difference(cube.forward, x) == pytest.approx(27.0, rel=1e-8)
    assert x.value == 3.0


def test_central_difference_restores_the_value_after_an_error():
    x = Input(3.0)

    def explode():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        central_difference(explode, x)
    assert x.value == 3.0


def test_count_nodes():
    a = Input(1.0)
    assert count_nodes(Add(a, a, Parameter(1.0))) == 3

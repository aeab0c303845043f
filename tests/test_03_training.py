"""Layer 3 (treeprop.nodes.predict, treeprop.training): models, predict, train_model."""

from __future__ import annotations

import math

import pytest

from treeprop import (
    BCE,
    MSE,
    Add,
    Input,
    InputCountError,
    Multiply,
    NonFiniteError,
    Parameter,
    Sigmoid,
    mse,
    mse_grad,
    parameters,
    seed,
    train_model,
)
from treeprop.datasets import fahrenheit_celsius
from treeprop.training import accuracy, evaluate, set_learning_rate


def linear_model(w=0.3, b=-0.2):
    return Add([Multiply([Parameter(w), Input()]), Parameter(b)])


def two_input_model():
    a, b = Input(name="a"), Input(name="b")
    return Add(Multiply(Parameter(1.0), a), Multiply(Parameter(2.0), b)), a, b


# -- find_input_nodes and predict ------------------------------------------------------------


def test_find_input_nodes_left_to_right_each_once():
    a, b, c = Input(name="a"), Input(name="b"), Input(name="c")
    model = Add(Multiply(a, b), Multiply(c, a), Parameter(1.0))
    assert model.find_input_nodes() == [a, b, c]


def test_predict_writes_inputs_and_evaluates():
    model, a, b = two_input_model()
    assert model.predict([3.0, 4.0]) == 11.0
    assert (a.value, b.value) == (3.0, 4.0)
    assert model.predict({"b": 1.0, "a": 0.0}) == 2.0
    assert model.predict((1, 1)) == 3.0


def test_predict_wrong_count_names_the_inputs():
    model, _, _ = two_input_model()
    with pytest.raises(InputCountError, match=r"2 inputs \(a, b\) but predict got 3 values"):
        model.predict([1.0, 2.0, 3.0])
    with pytest.raises(InputCountError, match=r"2 inputs \(a, b\) but predict got 1 value$"):
        model.predict([1.0])
    with pytest.raises(ValueError):  # InputCountError is a ValueError too
        model.predict([])


def test_predict_by_name_reports_missing_and_unknown():
    model, _, _ = two_input_model()
    with pytest.raises(InputCountError, match=r"missing \['b'\].*unknown \['c'\]"):
        model.predict({"a": 1.0, "c": 2.0})


def test_predict_rejects_non_lists():
    model, _, _ = two_input_model()
    with pytest.raises(TypeError, match="list of 2 numbers"):
        model.predict(3.0)
    with pytest.raises(TypeError, match="list of 2 numbers"):
        model.predict("ab")


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_predict_rejects_nonfinite_inputs(bad):
    model, a, _ = two_input_model()
    with pytest.raises(NonFiniteError, match="must be finite"):
        model.predict([bad, 1.0])
    # the same value as before is checked too (not skipped as "unchanged")
    with pytest.raises(NonFiniteError):
        model.predict([a.value, bad])


def test_predict_after_compile_uses_the_named_inputs():
    model = linear_model().compile()
    assert [n.name for n in model.inputs] == ["x0"]
    assert model.predict({"x0": 2.0}) == pytest.approx(0.3 * 2.0 - 0.2)


# -- train_model ----------------------------------------------------------------------------


DATA = fahrenheit_celsius(50, seed=3)


def test_train_model_returns_the_loss_history():
    model = linear_model()
    history = train_model(model, mse, mse_grad, DATA, epochs=5, print_every=None,
                          progress=False)
    assert len(history) == 5
    assert all(isinstance(v, float) for v in history)
    assert history[-1] < history[0]
    # the first entry is the mean loss over the epoch, measured before each step
    fresh = linear_model()
    total = 0.0
    for x, y in DATA:
        p = fresh.predict(x)
        total += mse(y, p)
        fresh.backward(mse_grad(y, p))
    assert history[0] == pytest.approx(total / len(DATA), rel=1e-12)


def test_a_loss_object_replaces_the_two_functions():
    a = train_model(linear_model(), mse, mse_grad, DATA, epochs=3, print_every=None,
                    progress=False)
    b = train_model(linear_model(), MSE, data=DATA, epochs=3, print_every=None, progress=False)
    c = train_model(linear_model(), MSE, DATA, epochs=3, print_every=None, progress=False)
    assert a == b == c


def test_plain_function_without_gradient_is_an_error():
    with pytest.raises(TypeError, match="loss_grad_fn"):
        train_model(linear_model(), mse, data=DATA, epochs=1, progress=False)


def test_silent_training_writes_nothing(capsys):
    """nbgrader fails a test cell on any stderr output, so silent must mean silent."""
    train_model(linear_model(), MSE, DATA, epochs=3, print_every=None, progress=False)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


def test_print_every_prints_the_epochs(capsys):
    train_model(linear_model(), MSE, DATA, epochs=4, print_every=2, progress=False)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("epoch 2: mean loss") and lines[1].startswith("epoch 4")


def test_progress_bar_shows_in_a_terminal_and_is_removed(capsys):
    train_model(linear_model(), MSE, DATA, epochs=3, print_every=None, progress=True)
    err = capsys.readouterr().err
    assert "training" in err  # tqdm writes its bar to stderr in a terminal


def test_callback_sees_every_epoch_and_can_stop_early():
    seen = []

    def stop_at_three(epoch, loss):
        seen.append((epoch, loss))
        return epoch < 3

    history = train_model(linear_model(), MSE, DATA, epochs=10, print_every=None,
                          progress=False, callback=stop_at_three)
    assert len(history) == 3
    assert [e for e, _ in seen] == [1, 2, 3]
    assert [v for _, v in seen] == history


def test_learning_rate_argument_sets_every_parameter():
    model = linear_model()
    train_model(model, MSE, DATA, epochs=0, learning_rate=0.05, print_every=None,
                progress=False)
    assert {p.learning_rate for p in parameters(model)} == {0.05}
    set_learning_rate(model, 0.2)
    assert {p.learning_rate for p in parameters(model)} == {0.2}


def test_shuffle_is_seeded():
    runs = [train_model(linear_model(), MSE, DATA, epochs=2, shuffle=True, seed=s,
                        print_every=None, progress=False) for s in (1, 1, 2)]
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_diverging_training_is_a_clear_error():
    model = linear_model()
    with pytest.raises(NonFiniteError, match="diverged .*smaller learning rate"):
        train_model(model, MSE, DATA, epochs=100, learning_rate=10.0, print_every=None,
                    progress=False)


def test_diverging_compiled_training_is_a_clear_error():
    model = linear_model().compile()
    with pytest.raises(NonFiniteError, match="diverged"):
        train_model(model, MSE, DATA, epochs=100, learning_rate=10.0, print_every=None,
                    progress=False)


@pytest.mark.parametrize(
    "data, message",
    [
        (None, "needs data"),
        ([], "no data"),
        ([([1.0], 2.0, 3.0)], "not an .inputs, target. pair"),
        ([(1.0, 2.0)], "must be a list of finite numbers"),
        ([(["a"], 2.0)], "must be a list of finite numbers"),
        ([([math.nan], 2.0)], "must be a list of finite numbers"),
        ([([1.0], math.inf)], "target inf"),
        ([([1.0], "yes")], "target 'yes'"),
    ],
)
def test_bad_data_gives_clear_errors(data, message):
    with pytest.raises((TypeError, ValueError), match=message):
        train_model(linear_model(), MSE, data=data, epochs=1, print_every=None, progress=False)


def test_wrong_input_count_in_data_is_an_input_count_error():
    with pytest.raises(InputCountError, match="1 input"):
        train_model(linear_model(), MSE, [([1.0, 2.0], 0.0)], epochs=1, print_every=None,
                    progress=False)


def test_bad_epochs():
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="epochs"):
            train_model(linear_model(), MSE, DATA, epochs=bad, progress=False)


def test_evaluate_and_accuracy_do_not_change_the_model():
    seed(0)
    model = Sigmoid(Add(Multiply(Parameter(5.0), Input()), Parameter(0.0)))
    data = [([-1.0], 0.0), ([1.0], 1.0), ([0.5], 0.0)]
    before = [p.value for p in parameters(model)]
    assert accuracy(model, data) == pytest.approx(2 / 3)
    loss = evaluate(model, BCE, data)
    expected = sum(BCE(y, model.predict(x)) for x, y in data) / 3
    assert loss == pytest.approx(expected)
    assert [p.value for p in parameters(model)] == before


def test_predict_by_name_on_unnamed_inputs_says_to_compile():
    model = Add(Input(), Input(name="b"))
    with pytest.raises(InputCountError, match=r"1 of the 2 inputs have no name.*compile\(\)"):
        model.predict({"x0": 1.0, "b": 2.0})
    model.compile()
    assert model.predict({"x0": 1.0, "b": 2.0}) == 3.0

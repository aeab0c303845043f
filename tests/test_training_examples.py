"""The source's two worked examples train to their known answers.

Both run compiled (the cached engine) for as few epochs as they need: the
teaching engine costs tens of microseconds per sample step.

Seeds for the line classifier (``seed(s)`` right before building the model,
1000 points, BCE, learning rate 0.01): 0, 1, 3, 13, 17 and 21 separate the
classes within a few epochs; 2 starts slowly (its ReLU is almost dead) and
recovers after about 20 epochs; 9 kills the ReLU at once, so the model
predicts about 0.5 everywhere forever.
"""

from __future__ import annotations

import pytest

from treeprop import (
    BCE,
    MSE,
    Add,
    Input,
    Multiply,
    Parameter,
    ReLU,
    Sigmoid,
    bce,
    bce_grad,
    mse,
    mse_grad,
    parameters,
    seed,
    train_model,
)
from treeprop.datasets import above_line, fahrenheit_celsius
from treeprop.training import accuracy

GOOD_SEEDS = (0, 1, 3, 13)
DEAD_SEED = 9


def celsius_model():
    # the source's model: Add([Multiply([Parameter(), Input()]), Parameter()])
    return Add([Multiply([Parameter(), Input()]), Parameter()])


def test_fahrenheit_to_celsius_learns_five_ninths_and_minus_160_ninths():
    seed(0)
    model = celsius_model().compile()
    history = train_model(model, mse, mse_grad, fahrenheit_celsius(1000), epochs=6,
                          print_every=None, progress=False)
    weight, bias = parameters(model)
    assert weight.value == pytest.approx(5 / 9, abs=1e-3)
    assert bias.value == pytest.approx(-160 / 9, abs=1e-3)
    assert model.predict([32.0]) == pytest.approx(0.0, abs=0.05)
    assert model.predict([212.0]) == pytest.approx(100.0, abs=0.5)
    assert history[-1] < 1e-6 < history[0]


@pytest.mark.parametrize("start", [1, 7, 42])
def test_fahrenheit_converges_from_other_starting_points(start):
    seed(start)
    model = celsius_model().compile()
    train_model(model, MSE, fahrenheit_celsius(1000, seed=start), epochs=8, print_every=None,
                progress=False)
    weight, bias = parameters(model)
    assert (weight.value, bias.value) == pytest.approx((5 / 9, -160 / 9), abs=1e-3)


def line_model():
    """Sigmoid(Add(Multiply(P, ReLU(Add(Multiply(P, x), Multiply(P, y), P))), P))."""
    inner = Add(Multiply(Parameter(), Input()), Multiply(Parameter(), Input()), Parameter())
    return Sigmoid(Add(Multiply(Parameter(), ReLU(inner)), Parameter())), inner


@pytest.mark.parametrize("s", [GOOD_SEEDS[0], GOOD_SEEDS[1],
                               *(pytest.param(s, marks=pytest.mark.slow) for s in GOOD_SEEDS[2:])])
def test_line_classifier_separates_its_test_points(s):
    seed(s)
    model, _ = line_model()
    model.compile()
    history = train_model(model, bce, bce_grad, above_line(1000), epochs=8,
                          print_every=None, progress=False)
    assert model.predict([1.0, 0.0]) < 0.1  # below the line y = x
    assert model.predict([0.0, 1.0]) > 0.9  # above it
    assert 0.2 < model.predict([0.0, 0.0]) < 0.8  # on the line: undecided
    assert accuracy(model, above_line(200, seed=99)) > 0.95
    assert history[-1] < history[0] / 3


def test_line_classifier_dead_relu():
    """Seed 9: the first layer's sum is negative for every point, so ReLU passes 0
    and no derivative ever reaches the first layer. The model can only learn the
    bias of the output: about 0.5 everywhere."""
    seed(DEAD_SEED)
    model, inner = line_model()
    model.compile()
    data = above_line(1000)
    first_layer = parameters(inner)
    before = [p.value for p in first_layer]
    for x, _ in data:
        model.predict(x)
        assert inner.forward() <= 0.0  # the ReLU's input: dead on every point
    train_model(model, BCE, data, epochs=5, print_every=None, progress=False)
    assert [p.value for p in first_layer] == before  # never moved
    outputs = {round(model.predict(p), 6) for p in ([1.0, 0.0], [0.0, 1.0], [0.0, 0.0])}
    assert len(outputs) == 1
    assert outputs.pop() == pytest.approx(0.5, abs=0.02)
    assert accuracy(model, data) < 0.6


@pytest.mark.slow
def test_line_classifier_longer_training_gets_sharper():
    seed(0)
    model, _ = line_model()
    model.compile()
    history = train_model(model, BCE, above_line(1000), epochs=40, print_every=None,
                          progress=False)
    assert accuracy(model, above_line(1000, seed=5)) >= 0.99
    assert history[-1] < 0.06
    assert model.predict([1.0, 0.0]) < 0.01 and model.predict([0.0, 1.0]) > 0.99

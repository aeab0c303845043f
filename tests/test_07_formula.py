"""Layer 7 (treeprop.formula): funcify reads a network back as a formula.

Two properties carry most of the weight: the text evaluates to the model's
value (so every needed parenthesis is there), and removing any pair of
grouping parentheses changes the value (so none is redundant).
"""

from __future__ import annotations

import ast
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import GENERIC_VALUES, dags, graphs, trees

from treeprop import (
    Add,
    Constant,
    Divide,
    Exp,
    Input,
    Linear,
    Multiply,
    Negate,
    Parameter,
    Power,
    ReLU,
    Sigmoid,
    Softmax,
    formula,
    funcify,
)
from treeprop.errors import NonFiniteError
from treeprop.formula import evaluate_formula


def close(a, b, rel=1e-9):
    if isinstance(a, list):
        return len(a) == len(b) and all(close(u, v, rel) for u, v in zip(a, b))
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def test_seed_example():
    assert funcify(Add(Parameter(0.1), Parameter(0.2))) == "0.1 + 0.2"
    assert funcify(Add([Parameter(0.1), Parameter(0.2)])) == "0.1 + 0.2"


def test_inputs_by_name_and_compile_names_the_unnamed():
    x = Input(name="temperature")
    assert funcify(Multiply(Parameter(0.5), x)) == "0.5 * temperature"
    model = Add(Multiply(Parameter(2.0), Input()), Parameter(1.0)).compile()
    assert funcify(model) == "2 * x0 + 1"


def test_digits():
    p = Parameter(0.123456789)
    assert funcify(Add(p)) == "0.1235"
    assert funcify(Add(p), digits=2) == "0.12"
    assert funcify(Add(p), digits=None) == "0.123456789"


@pytest.mark.parametrize(
    "build, text",
    [
        (lambda x, y: Multiply(Add(x, y), y), "(x + y) * y"),
        (lambda x, y: Add(Multiply(x, y), y), "x * y + y"),
        (lambda x, y: Add(Multiply(x, y), Multiply(y, x)), "x * y + y * x"),
        (lambda x, y: Add(x, Negate(y)), "x - y"),
        (lambda x, y: Add(x, Negate(Add(x, y))), "x - (x + y)"),
        (lambda x, y: Add(x, Negate(Multiply(x, y))), "x - x * y"),
        (lambda x, y: Add(x, Multiply(Constant(-2.0), y)), "x - 2 * y"),
        (lambda x, y: Divide(x, Multiply(x, y)), "x / (x * y)"),
        (lambda x, y: Divide(Multiply(x, y), x), "x * y / x"),
        (lambda x, y: Divide(Divide(x, y), x), "x / y / x"),
        (lambda x, y: Divide(x, Divide(y, x)), "x / (y / x)"),
        (lambda x, y: Power(Negate(x), exponent=2), "(-x) ** 2"),
        (lambda x, y: Negate(Power(x, exponent=2)), "-x ** 2"),
        (lambda x, y: Power(Power(x, exponent=2), exponent=3), "(x ** 2) ** 3"),
        (lambda x, y: Power(x, exponent=-0.5), "x ** -0.5"),
        (lambda x, y: Power(Constant(-2.0), exponent=2), "(-2) ** 2"),
        (lambda x, y: Multiply(x, Negate(y)), "x * -y"),
        (lambda x, y: Sigmoid(Add(x, y)), "sigmoid(x + y)"),
        (lambda x, y: ReLU(Multiply(x, Exp(y))), "relu(x * exp(y))"),
        (lambda x, y: Softmax(x, Multiply(x, y)), "softmax(x, x * y)"),
    ],
)
def test_known_formulas(build, text):
    x, y = Input(1.3, name="x"), Input(-0.7, name="y")
    model = build(x, y)
    assert funcify(model) == text
    assert close(evaluate_formula(text, {"x": 1.3, "y": -0.7}), model.forward())


def test_latex_of_a_known_tree():
    x = Input(name="x1")
    model = Sigmoid(Add(Multiply(Parameter(0.5), x), Parameter(-1.0)))
    assert funcify(model, latex=True) == r"\sigma\left(0.5 \cdot x_{1} - 1\right)"
    other = Add(Divide(Power(x, exponent=2), Exp(x)), ReLU(Negate(x)))
    assert funcify(other, latex=True) == (
        r"\frac{{x_{1}}^{2}}{e^{x_{1}}} + \operatorname{ReLU}\left(-x_{1}\right)")
    assert funcify(Add(Parameter(1.5e-7)), latex=True) == r"1.5 \times 10^{-7}"


def test_formula_object_shows_both_forms():
    f = formula(Add(Parameter(0.1), Parameter(0.2)))
    assert str(f) == "0.1 + 0.2"
    assert f._repr_latex_() == "$$0.1 + 0.2$$"


def test_macros_can_be_collapsed():
    x, y = Input(name="x"), Input(name="y")
    layer = Linear([x, y], init="uniform")
    w1, w2, b = layer.parameters()
    full = funcify(layer, digits=None)
    value = evaluate_formula(full, {"x": 0.3, "y": 0.9})
    assert close(value, w1.value * 0.3 + w2.value * 0.9 + b.value)
    assert close(value, layer.predict({"x": 0.3, "y": 0.9}))
    assert funcify(layer, collapse_macros=True) == "Linear(x, y)"
    assert funcify(Sigmoid(layer), collapse_macros=True) == "sigmoid(Linear(x, y))"


def input_values(built, rng):
    return {n.name: rng.choice(GENERIC_VALUES) * rng.uniform(0.5, 1.5) for n in built.inputs}


@settings(max_examples=80, deadline=None)
@given(st.one_of(trees, dags), st.randoms(use_true_random=False))
def test_formula_text_evaluates_to_the_model_value(built, rnd):
    """evaluate_formula(funcify(m, digits=None), inputs) == m.forward() for random graphs."""
    text = funcify(built.root, digits=None)
    for _ in range(3):
        values = input_values(built, rnd)
        for n in built.inputs:
            n.value = values[n.name]
        try:
            expected = built.root.forward()
        except NonFiniteError:
            continue
        assert close(evaluate_formula(text, values), expected), text


def grouping_parentheses(text):
    """(start, end) of every parenthesis pair that groups rather than calls."""
    pairs, stack = [], []
    for i, ch in enumerate(text):
        if ch == "(":
            call = i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")
            stack.append((i, call))
        elif ch == ")":
            start, call = stack.pop()
            if not call:
                pairs.append((start, i))
    return pairs


def parse(text):
    return ast.dump(ast.parse(text, mode="eval"))


def redundant_pairs(text):
    """Grouping parentheses whose removal leaves Python's parse tree unchanged."""
    tree = parse(text)
    found = []
    for start, end in grouping_parentheses(text):
        inner = text[start + 1:end]
        if inner.startswith("-") and text[:start].rstrip().endswith("-"):
            continue  # -(-a) and a - (-b) are clearer than --a and a - -b; both are fine
        shorter = text[:start] + inner + text[end + 1:]
        try:
            if parse(shorter) == tree:
                found.append(f"({inner})")
        except SyntaxError:
            continue
    return found


@settings(max_examples=100, deadline=None)
@given(graphs(max_ops=12, safe_domains=False, require_smooth=False))
def test_no_redundant_parentheses(built):
    """Dropping any one pair of grouping parentheses changes how the formula parses.

    Together with the test above (the text evaluates to the model's value) this
    says the parentheses are exactly the needed ones.
    """
    text = funcify(built.root, digits=None)
    assert "()" not in text
    assert redundant_pairs(text) == [], text
    for start, end in grouping_parentheses(text):  # never around a single name or number
        assert not re.fullmatch(r"[\w.]+", text[start + 1:end]), text


def test_redundancy_check_is_not_vacuous():
    assert redundant_pairs("(x0 * x1) + x1") == ["(x0 * x1)"]
    assert redundant_pairs("x0 - (x0 * x1)") == ["(x0 * x1)"]  # what funcify once printed
    assert redundant_pairs("(x0 + x1) * x1") == []
    assert redundant_pairs("(-x0) ** 2.0 - (-x1)") == []
    assert grouping_parentheses("sigmoid(x) * (a + b)") == [(13, 19)]


def test_a_sum_or_product_of_one_term_needs_no_parentheses():
    x = Input(name="x")
    assert funcify(Negate(Add(Multiply(x)))) == "-x"
    assert funcify(Multiply(Add(x), Add(x, x))) == "x * (x + x)"


def test_evaluate_formula_has_no_builtins():
    with pytest.raises(NameError):
        evaluate_formula("__import__('os')", {})

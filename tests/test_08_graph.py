"""Layer 8 (treeprop.graph): shared nodes, topological order, cycles, deep graphs."""

from __future__ import annotations

import math
import sys

import pytest
from hypothesis import given, settings
from strategies import dags

from treeprop import (
    Add,
    CycleError,
    Input,
    Multiply,
    Parameter,
    Sigmoid,
    TreeTooDeepError,
    depth,
    find_cycle,
    gradcheck,
    postorder,
    topological_order,
    train_model,
)
from treeprop.graph import parents_map


class CountingParameter(Parameter):
    """A parameter that counts how often it is asked to update."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.updates = []

    def on_backward(self, d):
        self.updates.append(d)
        super().on_backward(d)


# -- shared nodes (a DAG) -------------------------------------------------------------------


@pytest.mark.parametrize("compiled", [False, True])
def test_b_is_a_plus_a_c_is_b_plus_b_gives_four(compiled):
    a = CountingParameter(3.0, learning_rate=0.1)
    b = a + a
    c = b + b
    if compiled:
        c.compile()
    c.backward(update=False)
    assert a.gradient == 4.0
    assert b.gradient == 2.0
    assert a.updates == []
    c.backward()
    assert a.updates == [4.0]  # one update, with the derivative summed over all four paths
    assert a.value == pytest.approx(3.0 - 0.1 * 4.0)
    assert c.forward() == 4 * a.value


def test_course_recursion_visits_a_shared_node_once_per_path():
    """backward_recursive (the course's first version) on b = a + a; c = b + b.

    It reaches ``a`` along each of the four paths and updates it each time with
    that path's share (1.0). For sums the four small steps happen to add up to
    the right total, but ``a.gradient`` holds only the last path's 1.0, not 4.
    """
    a = CountingParameter(3.0, learning_rate=0.1)
    b = a + a
    c = b + b
    c.backward_recursive()
    assert a.updates == [1.0, 1.0, 1.0, 1.0]
    assert a.gradient == 1.0  # wrong: the true dc/da is 4
    assert a.value == pytest.approx(3.0 - 0.1 * 4.0)


def test_course_recursion_takes_a_wrong_step_when_paths_interact():
    """With products, later paths see a value already changed by earlier paths.

    c = b * b with b = a * a, so dc/da = 4 a^3. The recursion computes b's local
    derivatives again on its second visit, after ``a`` has already moved twice.
    """
    lr, a0 = 0.01, 1.5
    a = CountingParameter(a0, learning_rate=lr)
    b = a * a
    c = b * b
    c.backward_recursive()
    # the trace by hand: c hands each copy of b the derivative b = a0^2
    d_b = a0 * a0
    step1 = a0 - 2 * lr * d_b * a0  # first visit of b: local derivatives [a0, a0]
    wrong = step1 - 2 * lr * d_b * step1  # second visit: local derivatives [a1, a1]
    assert a.value == pytest.approx(wrong, rel=1e-12)
    right = a0 - lr * 4 * a0**3
    assert abs(a.value - right) > 1e-3

    fixed = CountingParameter(a0, learning_rate=lr)
    fixed_b = fixed * fixed
    (fixed_b * fixed_b).backward()
    assert fixed.value == pytest.approx(right, rel=1e-12)
    assert len(fixed.updates) == 1


def test_weight_sharing_sums_the_derivatives():
    w = CountingParameter(0.5, learning_rate=0.1)
    x1, x2 = Input(2.0), Input(-3.0)
    y = Add(Multiply(w, x1), Multiply(w, x2))
    y.backward(update=False)
    assert w.gradient == pytest.approx(2.0 + -3.0)
    assert gradcheck(y).ok


def test_weight_sharing_trains():
    w = Parameter(0.1, learning_rate=0.05)
    x1, x2 = Input(), Input()
    model = Add(Multiply(w, x1), Multiply(w, x2)).compile()
    data = [([a / 4, b / 4], 3.0 * (a / 4 + b / 4)) for a in range(-3, 4) for b in range(-2, 3)]
    train_model(model, lambda y, p: (y - p) ** 2, lambda y, p: -2 * (y - p), data,
                epochs=40, print_every=None, progress=False)
    assert w.value == pytest.approx(3.0, abs=1e-6)


@settings(max_examples=50, deadline=None)
@given(dags)
def test_topological_order_puts_every_parent_before_its_children(built):
    order = topological_order(built.root)
    where = {id(n): i for i, n in enumerate(order)}
    assert len(where) == len(order)  # each node once
    assert order[0] is built.root
    for node in order:
        for child in node.children:
            assert where[id(node)] < where[id(child)]
    post = postorder(built.root)
    assert post == order[::-1]
    edges = sum(len(n.children) for n in order)
    assert sum(len(ps) for ps in parents_map(built.root).values()) == edges


def test_depth_and_wide_sums():
    x = Input(1.0)
    assert depth(x) == 1
    assert depth(Sigmoid(Add(x, x))) == 3
    wide = Add([Input(float(i)) for i in range(1000)])  # micrograd's RecursionError case
    assert wide.forward() == sum(range(1000))
    wide.backward(update=False)
    assert all(c.gradient == 1.0 for c in wide.children)


# -- cycles ---------------------------------------------------------------------------------


def make_cycle():
    x = Input(1.0, name="x")
    b = Add(x, 1.0, name="b")
    c = Multiply(b, 2.0, name="c")
    b.children.append(c)  # c is now below b and b below c
    return c, b


def test_cycle_is_found_and_named():
    c, b = make_cycle()
    cycle = find_cycle(c)
    assert [n.label() for n in cycle] == ["c", "b", "c"]
    with pytest.raises(CycleError, match=r"cycle \(c -> b -> c\)"):
        postorder(c)


def test_compile_rejects_a_cycle():
    c, _ = make_cycle()
    with pytest.raises(CycleError, match="c -> b -> c"):
        c.compile()


def test_uncompiled_forward_reports_the_cycle_not_a_recursion_error():
    c, b = make_cycle()
    with pytest.raises(CycleError, match="b -> c -> b|c -> b -> c"):
        c.forward()
    with pytest.raises(CycleError):
        b.forward()


def test_backward_rejects_a_cycle():
    c, _ = make_cycle()
    with pytest.raises(CycleError):
        c.backward(update=False)


def test_a_node_that_is_its_own_child():
    n = Add(Input(1.0), name="n")
    n.children.append(n)
    with pytest.raises(CycleError, match="n -> n"):
        n.compile()


def test_compiling_then_making_a_cycle_is_caught_at_the_next_compile():
    x = Input(1.0, name="x")
    b = Add(x, 1.0, name="b")
    c = Multiply(b, 2.0, name="c").compile()
    b.children.append(c)
    with pytest.raises(CycleError):
        c.compile()


# -- deep chains ----------------------------------------------------------------------------

DEEP = 10_000


def deep_chain(n=DEEP):
    x = Input(0.5, name="x")
    node, params = x, []
    for k in range(n):
        p = Parameter(1.0 + (k % 7 - 3) * 1e-5, learning_rate=1e-3)
        params.append(p)
        node = Multiply(node, p)
    return node, x, params


def test_deep_chain_uncompiled_forward_says_to_compile():
    assert DEEP > sys.getrecursionlimit()
    model, _, _ = deep_chain()
    with pytest.raises(TreeTooDeepError, match=r"recursion limit .*model\.compile\(\)"):
        model.forward()
    with pytest.raises(RecursionError):  # it is a RecursionError too
        model.forward()


def test_deep_chain_compiled_forward_and_backward_are_right():
    model, x, params = deep_chain()
    model.compile()
    ws = [p.value for p in params]
    prod = math.prod(ws)
    assert model.forward() == pytest.approx(0.5 * prod, rel=1e-12)
    assert depth(model) == DEEP + 1
    model.backward(update=False)
    assert x.gradient == pytest.approx(prod, rel=1e-12)
    for k in (0, 1, DEEP // 2, DEEP - 1):
        assert params[k].gradient == pytest.approx(0.5 * prod / ws[k], rel=1e-12)
    # and a training step moves every parameter by lr * gradient
    model.backward(2.0)
    assert params[0].value == pytest.approx(ws[0] - 1e-3 * 2.0 * 0.5 * prod / ws[0], rel=1e-12)
    assert model.forward() == pytest.approx(0.5 * math.prod(p.value for p in params), rel=1e-12)


def test_deep_chain_course_recursion_says_too_deep():
    model, _, _ = deep_chain()
    model.compile()
    with pytest.raises(TreeTooDeepError, match="compile"):
        model.backward_recursive()


def test_deep_chain_uncompiled_backward_says_too_deep():
    model, _, _ = deep_chain()
    with pytest.raises(TreeTooDeepError):
        model.backward(update=False)

"""Layer 4 (treeprop.caching): compile(), the forward cache, and what it saves.

The reference for every cached value is ``plain_value``: a fresh recursion that
calls each node's ``op`` directly and never looks at a cache.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import dags, trees

from treeprop import (
    Add,
    Input,
    Leaf,
    Multiply,
    Output,
    Parameter,
    Sigmoid,
    count_ops,
    decompile,
    gradient_is_stale,
    postorder,
)
from treeprop.graph import parents_map


def plain_value(node):
    """The node's value by direct recursion over ``op``: no cache involved."""
    if isinstance(node, Leaf):
        return node.value
    return node.op([plain_value(c) for c in node.children])


def chain(n, value=0.9):
    """x * p1 * p2 * ... * pn as a chain of n two-child products."""
    x = Input(0.5, name="x")
    node, params = x, []
    for _ in range(n):
        p = Parameter(value, learning_rate=0.01)
        params.append(p)
        node = Multiply(node, p)
    return node, x, params


def ancestors(root, leaf):
    """How many inner nodes have ``leaf`` below them (each counted once)."""
    parents = parents_map(root)
    seen, stack = set(), [leaf]
    while stack:
        for p in parents[id(stack.pop())]:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return len(seen)


def test_compile_names_inputs_and_returns_the_model():
    a, b = Input(), Input(name="x0")
    model = Add(a, Multiply(b, Parameter(2.0)))
    assert model.compile() is model
    assert [n.name for n in model.inputs] == ["x1", "x0"]  # x0 was taken already
    assert model.inputs == model.find_input_nodes()


def test_repeat_forward_costs_nothing_after_compile():
    model, _, _ = chain(20)
    with count_ops() as before:
        model.forward()
        model.forward()
    assert before.ops == 40  # uncompiled: every call recomputes all 20 products
    model.compile()
    first = model.forward()
    with count_ops() as after:
        again = model.forward()
    assert after.ops == 0
    assert again == first == plain_value(model)


def test_only_nodes_above_a_change_recompute():
    model, x, params = chain(30)
    model.compile()
    model.forward()
    params[9].value = 1.1  # product number 10 of 30: nodes 10..30 are above it
    with count_ops() as c:
        value = model.forward()
    assert c.ops == 21
    assert value == pytest.approx(plain_value(model), rel=1e-15)
    x.value = 2.0  # the input is below everything
    with count_ops() as c:
        model.forward()
    assert c.ops == 30


@settings(max_examples=40, deadline=None)
@given(dags, st.randoms(use_true_random=False))
def test_a_change_recomputes_exactly_its_ancestors(built, rnd):
    model = built.root.compile()
    model.forward()
    leaves = [n for n in postorder(model) if isinstance(n, (Input, Parameter))]
    if not leaves:  # a graph of constants only has nothing to change
        return
    leaf = rnd.choice(leaves)
    leaf.value = leaf.value * 0.5 + 0.25
    with count_ops() as c:
        model.forward()
    assert c.ops == ancestors(model, leaf)


@settings(max_examples=60, deadline=None)
@given(st.one_of(trees, dags), st.lists(st.tuples(st.integers(0, 10**6),
                                                  st.floats(-1.5, 1.5)), max_size=12))
def test_first_forward_after_any_change_is_correct(built, changes):
    """Random graphs, random sequences of leaf changes: cached == fresh recursion, always."""
    model = built.root.compile()
    leaves = built.inputs + built.params
    nodes = postorder(model)
    assert model.forward() == plain_value(model)
    if not leaves:  # a graph of constants only has nothing to change
        return
    for k, (pick, new) in enumerate(changes):
        leaf = leaves[pick % len(leaves)]
        leaf.value = new
        # read the root, or sometimes an inner node first
        probe = model if k % 3 else nodes[pick % len(nodes)]
        try:
            expected = plain_value(probe)
        except Exception as err:  # the new values left the domain: both must refuse
            with pytest.raises(type(err)):
                probe.forward()
            continue
        assert probe.forward() == expected
        if probe is not model:
            assert model.forward() == plain_value(model)


def test_backward_updates_invalidate_the_cache():
    model, x, params = chain(5)
    model.compile()
    before = model.forward()
    model.backward()  # every parameter takes a step
    assert all(p.value != 0.9 for p in params)
    after = model.forward()
    assert after != before
    assert after == plain_value(model)


def test_training_step_costs_are_linear_when_compiled():
    """One predict + backward: n op calls compiled, n(n-1)/2 + n uncompiled."""
    for n in (10, 20, 40):
        model, _, _ = chain(n)
        with count_ops() as plain:
            model.predict([0.7])
            model.backward(update=False)
        assert plain.ops == n + n * (n - 1) // 2  # each Multiply.grad re-runs its subtree
        model.compile()
        model.predict([0.3])
        model.backward()
        with count_ops() as cached:
            model.predict([0.7])
            model.backward()
        assert cached.ops == n  # the update invalidated everything once, nothing more


def test_decompile_restores_the_uncached_baseline():
    model, x, _ = chain(15)
    model.compile()
    model.forward()
    decompile(model)
    with count_ops() as c:
        model.forward()
        model.forward()
    assert c.ops == 30
    x.value = 3.0
    assert model.forward() == plain_value(model)
    with count_ops() as c:
        model.backward(update=False)
    assert c.ops == 15 * 14 // 2


def test_compiling_twice_changes_nothing():
    model, x, _ = chain(10)
    model.compile()
    model.compile()
    model.forward()
    x.value = 1.5
    with count_ops() as c:
        assert model.forward() == plain_value(model)
    assert c.ops == 10


def test_two_compiled_models_sharing_a_node_both_stay_correct():
    x = Input(1.0, name="x")
    shared = Sigmoid(Multiply(Parameter(2.0), x))
    m1 = Add(shared, Parameter(1.0)).compile()
    m2 = Multiply(shared, Parameter(3.0)).compile()
    m1.forward()
    m2.forward()
    x.value = -1.0
    assert m1.forward() == plain_value(m1)
    assert m2.forward() == plain_value(m2)


def test_output_root_returns_a_copy_of_its_cache():
    a = Input(1.0)
    model = Output(Add(a, 1.0), Multiply(a, 3.0)).compile()
    first = model.forward()
    first[0] = 99.0
    assert model.forward() == [2.0, 3.0]


def test_gradient_staleness_follows_leaf_changes():
    model, x, params = chain(3)
    model.compile()
    assert gradient_is_stale(model)  # no backward yet
    model.backward(update=False)
    assert not gradient_is_stale(model)
    model.backward()  # the update changes parameters, but gradients were re-stamped
    assert not gradient_is_stale(params[0])
    x.value = 0.1
    assert gradient_is_stale(model)
    assert gradient_is_stale(x)


def test_random_values_cached_vs_uncached_models_agree():
    rng = random.Random(5)
    model, x, params = chain(12)
    twin, tx, tparams = chain(12)
    model.compile()
    for _ in range(30):
        v = rng.uniform(-2, 2)
        x.value = v
        tx.value = v
        i = rng.randrange(12)
        w = rng.uniform(0.5, 1.5)
        params[i].value = w
        tparams[i].value = w
        assert model.forward() == twin.forward()

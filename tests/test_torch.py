"""Gradients against PyTorch: random trees and DAGs rebuilt as torch float64 expressions.

treeprop and PyTorch compute the same derivatives in different ways (local
derivatives plus a topological sweep versus torch's autograd), so agreement to
1e-9 relative is strong evidence both forward and backward are right.
"""

from __future__ import annotations

import pytest
from conftest import require_module
from hypothesis import given, settings
from strategies import dags, trees

from treeprop import (
    MLP,
    Add,
    Constant,
    Divide,
    Exp,
    Input,
    Log,
    Multiply,
    Negate,
    Parameter,
    Power,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    postorder,
)
from treeprop.losses import cce, cce_grad

REL = 1e-9


@pytest.fixture(scope="module")
def torch():
    return require_module("torch", "pip install -e '.[torch]' (make test installs it under CI)")


def to_torch(torch, root):
    """Rebuild the graph in torch; returns (value tensor, {id(leaf): leaf tensor})."""
    leaves, value = {}, {}
    for node in postorder(root):
        xs = [value[id(c)] for c in node.children]
        if isinstance(node, (Input, Parameter)):
            t = torch.tensor(node.value, dtype=torch.float64, requires_grad=True)
            leaves[id(node)] = t
        elif isinstance(node, Constant):
            t = torch.tensor(node.value, dtype=torch.float64)
        elif isinstance(node, Add):
            t = xs[0]
            for x in xs[1:]:
                t = t + x
        elif isinstance(node, Multiply):
            t = xs[0]
            for x in xs[1:]:
                t = t * x
        elif isinstance(node, Power):
            t = torch.pow(xs[0], node.exponent)
        elif isinstance(node, Divide):
            t = xs[0] / xs[1]
        elif isinstance(node, Softmax):
            t = torch.softmax(torch.stack(xs), dim=0)
        else:
            fn = {ReLU: torch.relu, Sigmoid: torch.sigmoid, Tanh: torch.tanh, Exp: torch.exp,
                  Log: torch.log, Negate: torch.neg}[type(node)]
            t = fn(xs[0])
        value[id(node)] = t
    return value[id(root)], leaves


def close(a, b):
    return abs(a - b) <= REL * max(abs(a), abs(b)) + 1e-13


def compare(torch, built):
    root = built.root
    out, leaves = to_torch(torch, root)
    assert close(root.forward(), out.item())
    if out.requires_grad:  # a graph of constants only has nothing to differentiate
        out.backward()
    root.backward(1.0, update=False)
    checked = 0
    for node in postorder(root):
        if id(node) in leaves:
            theirs = leaves[id(node)].grad
            theirs = 0.0 if theirs is None else theirs.item()
            assert close(node.gradient, theirs), (node, node.gradient, theirs)
            checked += 1
    assert checked == len(built.inputs) + len(built.params)


@settings(max_examples=60, deadline=None)
@given(trees)
def test_random_trees_match_torch(torch, built):
    compare(torch, built)


@settings(max_examples=60, deadline=None)
@given(dags)
def test_random_dags_match_torch(torch, built):
    compare(torch, built)


def test_the_shared_node_example_matches_torch(torch):
    a = Parameter(3.0)
    b = a + a
    c = b * b
    c.backward(update=False)
    ta = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    tb = ta + ta
    (tb * tb).backward()
    assert a.gradient == ta.grad.item() == 8 * 3.0


def test_softmax_and_cross_entropy_match_torch(torch):
    net = MLP([3, 5, 4], "tanh", output="softmax")
    x = [0.3, -1.2, 0.8]
    p = net.predict(x)
    net.backward(cce_grad(2, p), update=False)
    out, leaves = to_torch(torch, net.expansion)
    assert all(close(a, b) for a, b in zip(p, out.tolist()))
    loss = -torch.log(out[2])
    assert close(loss.item(), cce(2, p))
    loss.backward()
    for param in net.parameters():
        assert close(param.gradient, leaves[id(param)].grad.item())

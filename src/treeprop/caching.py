"""Layer 4 — ``compile()`` and the forward cache.

Without a cache, every ``forward()`` recomputes the whole subtree, and every
``grad()`` during backpropagation calls ``forward()`` again: a tree of n nodes
costs O(n^2) op evaluations per training step. ``compile()`` does the one-off
work once: it finds and names the inputs, links every node to its parents, and
switches on caching. From then on a node keeps its value until a leaf below it
changes; changing a leaf marks every node above it invalid (and stops early
at nodes already invalid), and the next ``forward()`` recomputes just those.

This module registers itself as the engine ``"cached"`` (the default of
``model.compile()``), gives every node its caching ``forward`` and the state
the cache keeps on it, and counts ``op`` evaluations (:func:`count_ops`), which
is how the course measures that the cache turns O(n^2) into O(n).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from treeprop import nodes
from treeprop.engines import detach, register
from treeprop.nodes import Computation, Input, Leaf, NeuralNetNode, method_of
from treeprop.walk import postorder


# -- counting op evaluations ---------------------------------------------------------
class OpCounter:
    """Counts how often any node's ``op`` ran: the cost the cache removes."""

    def __init__(self) -> None:
        self.ops = 0

    def reset(self) -> None:
        self.ops = 0


STATS = OpCounter()


@contextmanager
def count_ops() -> Iterator[OpCounter]:
    """Count ``op`` evaluations inside a ``with`` block.

    >>> with count_ops() as c:
    ...     model.forward()
    >>> c.ops
    """
    counter = OpCounter()
    start = STATS.ops
    try:
        yield counter
    finally:
        counter.ops = STATS.ops - start


_checked_apply = NeuralNetNode._apply  # layer 1's: op on the children's values, checked


@method_of(NeuralNetNode)
def _apply(self: NeuralNetNode, values: list[Any]) -> Any:
    """Layer 1's ``_apply``, counted: every engine of the course evaluates through it."""
    STATS.ops += 1
    return _checked_apply(self, values)


# -- the state the cache keeps on every node ---------------------------------------------
class _OwnList:
    """A node's own list, made empty on first use (then it is a plain attribute).

    A non-data descriptor: the first read stores a new list in the instance, and
    from then on, or once the attribute is assigned, the instance's own wins.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, node: Any, owner: type | None = None) -> Any:
        if node is None:
            return self
        mine: list[Any] = []
        node.__dict__[self.name] = mine
        return mine


#: the nodes that have this node as a child (in compiled models), linked by compile()
NeuralNetNode._parents = _OwnList("_parents")  # type: ignore[attr-defined]
#: is the value cached (compiled), and is the cached ``_value`` current?
NeuralNetNode._cached = False  # type: ignore[attr-defined]
NeuralNetNode._valid = False  # type: ignore[attr-defined]
NeuralNetNode._value = None  # type: ignore[attr-defined]
Leaf._cached = Leaf._valid = True  # type: ignore[attr-defined]  # a leaf's value is current


def _invalidate_parents(node: NeuralNetNode) -> None:
    """Mark every node above ``node`` invalid, stopping at nodes already invalid."""
    stack = list(node._parents)
    while stack:
        parent = stack.pop()
        if parent._valid:
            parent._valid = False
            stack.extend(parent._parents)


@method_of(Leaf)
def _value_changed(self: Leaf) -> None:
    """A leaf's new value makes every cached value above it invalid."""
    _invalidate_parents(self)


# Older code imports these from treeprop.nodes, where they once lived (notebook 04
# does); layer 1 cannot import them from above, so this layer puts them back there.
nodes.OpCounter, nodes.STATS, nodes.count_ops = OpCounter, STATS, count_ops  # type: ignore[attr-defined]
nodes._invalidate_parents = _invalidate_parents  # type: ignore[attr-defined]


# -- the caching forward -----------------------------------------------------------------
_recursive_forward = NeuralNetNode.forward  # layer 1's plain recursion


@method_of(NeuralNetNode)
def forward(self: NeuralNetNode) -> Any:
    """This node's value: ``op`` applied to the children's values.

    Before ``compile()`` this is the plain recursion of layer 1, and it
    recomputes everything on every call. After ``compile()`` values are
    cached and only what changed is recomputed, without recursion.
    """
    if self._cached:
        if not self._valid:
            _evaluate_cached(self)
        return self._value
    return _recursive_forward(self)


def _evaluate_cached(root: NeuralNetNode) -> None:
    """Recompute the invalid nodes below ``root``, children first, no recursion."""
    stack: list[tuple[NeuralNetNode, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if node._valid:
            continue
        if ready:
            node._value = node._apply(
                [c._value if c._cached else c.forward() for c in node.children]
            )
            node._valid = True
        else:
            stack.append((node, True))
            for child in reversed(node.children):
                if child._cached and not child._valid:
                    stack.append((child, False))


@register("cached")
def compile_cached_engine(model: Computation) -> Computation:
    """``model.compile()``: leave any fast engine, then switch the cache on."""
    return compile_cached(detach(model))


def compile_cached(model: Computation) -> Computation:
    """Name the inputs, link parents, check for cycles, and switch caching on."""
    order = postorder(model)  # raises CycleError with the cycle's names
    _check_outputs_at_root(order)
    inside = {id(n) for n in order}
    for node in order:
        # keep links to parents in *other* compiled models sharing this node
        node._parents = [p for p in node._parents if id(p) not in inside]
        # a fast engine that writes this node's values directly must stop doing so
        leave = node.__dict__.get("_direct_writer")
        if leave is not None:
            leave()
    for node in order:
        for child in node.children:
            child._parents.append(node)
        if not isinstance(node, Leaf):
            node._cached = True
            node._valid = False
    model.inputs = name_inputs([n for n in order if isinstance(n, Input)])
    # backward walks root-first; keep that order so it is not rebuilt every step
    # (compile again after changing the graph's structure)
    model._topo = order[::-1]
    return model


def name_inputs(inputs: list[Input]) -> list[Input]:
    """Give unnamed inputs the names x0, x1, ... (skipping names already taken)."""
    taken = {n.name for n in inputs if n.name}
    counter = 0
    for node in inputs:
        if node.name:
            continue
        while f"x{counter}" in taken:
            counter += 1
        node.name = f"x{counter}"
        taken.add(node.name)
    return inputs


def decompile(model: Computation) -> Computation:
    """Switch the cache off again: back to the plain recursion (the baseline)."""
    detach(model)  # a model on a fast engine gets its own methods back
    for node in postorder(model):
        if not isinstance(node, Leaf):
            node._cached = False
            node._valid = False
    model.__dict__.pop("_topo", None)
    return model


def _check_outputs_at_root(order: list[NeuralNetNode]) -> None:
    for node in order:
        if node.passes_through:
            continue  # a macro passes its expansion's value through unchanged
        for child in node.children:
            if child.returns_list:
                raise TypeError(
                    f"{child.label()} returns a list, so it can only be the root of a "
                    f"model, not a child of {node.label()}; use its scalar parts instead"
                )

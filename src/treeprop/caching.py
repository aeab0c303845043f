"""Layer 4 — ``compile()`` and the forward cache.

Without a cache, every ``forward()`` recomputes the whole subtree, and every
``grad()`` during backpropagation calls ``forward()`` again: a tree of n nodes
costs O(n^2) op evaluations per training step. ``compile()`` does the one-off
work once: it finds and names the inputs, links every node to its parents, and
switches on caching. From then on a node keeps its value until a leaf below it
changes; changing a leaf marks every node above it invalid (and stops early
at nodes already invalid), and the next ``forward()`` recomputes just those.

This module registers itself as the engine ``"cached"`` (the default of
``model.compile()``) and gives every node its caching ``forward``.
"""

from __future__ import annotations

from typing import Any

from treeprop.engines import detach, register
from treeprop.nodes import Computation, Input, Leaf, NeuralNetNode, method_of
from treeprop.walk import postorder

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

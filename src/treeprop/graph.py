"""Layer 8 — graphs, not just trees: topological order, summed derivatives, cycles.

A node may feed several parents. Then the plain recursion of layer 2 would visit
it once per path and update it once per path; the fix is to visit nodes in
*topological order* (every parent before its children) and to sum the
derivatives arriving from each parent before passing them on. This module
gives every node that ``backward``. Everything here is iterative, so a chain
100,000 nodes deep is fine.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from treeprop.clock import now
from treeprop.nodes import Leaf, NeuralNetNode, method_of
from treeprop.walk import find_cycle, postorder

__all__ = ["backward", "depth", "find_cycle", "grad_tick", "gradient_is_stale", "iter_nodes",
           "parents_map", "postorder", "topological_order"]


def topological_order(root: NeuralNetNode) -> list[NeuralNetNode]:
    """Every node below ``root`` once, each parent before all of its children."""
    order = postorder(root)
    order.reverse()
    return order


def iter_nodes(root: NeuralNetNode) -> Iterator[NeuralNetNode]:
    """Each node once, in topological order (root first)."""
    return iter(topological_order(root))


def parents_map(root: NeuralNetNode) -> dict[int, list[NeuralNetNode]]:
    """For each node (by ``id``), the list of its parents, one entry per edge."""
    parents: dict[int, list[NeuralNetNode]] = {}
    for node in topological_order(root):
        parents.setdefault(id(node), [])
        for child in node.children:
            parents.setdefault(id(child), []).append(node)
    return parents


def depth(root: NeuralNetNode) -> int:
    """Number of nodes on the longest root-to-leaf path (a leaf alone has depth 1)."""
    best: dict[int, int] = {}
    for node in postorder(root):
        best[id(node)] = 1 + max((best[id(c)] for c in node.children), default=0)
    return best[id(root)]


@method_of(NeuralNetNode)
def backward(self: NeuralNetNode, derivative_from_parent: Any = 1.0, *,
             update: bool = True) -> None:
    """Backpropagate: give every node below its derivative, then let leaves learn.

    Each node's ``gradient`` becomes d(root)/d(node) times the derivative the
    root was handed. Nodes are visited in topological order and derivatives
    from several parents are summed, so a node used twice is counted twice,
    correctly. ``on_backward`` (the SGD step of a :class:`Parameter`) runs
    once per node, after every derivative is known. ``update=False`` only
    computes gradients.
    """
    order = self.__dict__.get("_topo") if self._cached else None  # kept by compile()
    if order is None:
        order = topological_order(self)
    pending: dict[int, Any] = {id(self): derivative_from_parent}
    tick = now()
    for node in order:
        d = pending.pop(id(node), 0.0)
        node.gradient = d
        node._grad_tick = tick
        node._grad_root = self
        if node.children:
            for child, share in node._child_derivatives(d):
                key = id(child)
                # a macro standing for an Output passes a list on unchanged
                pending[key] = pending[key] + share if key in pending else share
    if update:
        for node in order:
            node.on_backward(node.gradient)
        tick = now()
        for node in order:
            node._grad_tick = tick


#: the value clock's tick when the node's own gradient was last written (-1: never)
NeuralNetNode._grad_tick = -1  # type: ignore[attr-defined]


def grad_tick(node: NeuralNetNode) -> int:
    """The clock tick at which ``node.gradient`` was written.

    A node's own ``_grad_tick``, or the stamp it shares with the other nodes of a
    compiled model (which writes all their gradients at once), whichever wrote
    the gradient last.
    """
    stamp = node._grad_stamp
    return stamp[1] if stamp[0] > node._grad_seq else node._grad_tick  # type: ignore[no-any-return]


def gradient_is_stale(node: NeuralNetNode, root: NeuralNetNode | None = None) -> bool:
    """True if ``node.gradient`` may no longer be current.

    d(root)/d(node) depends on every leaf of the root's graph, not only on the
    leaves below ``node`` (for ``y = w * x`` the gradient of ``w`` is ``x``), so
    this checks the leaves below ``root``: by default the root of the backward
    pass that computed the gradient.
    """
    if node.gradient is None:
        return True
    top = root or node.__dict__.get("_grad_root") or node
    tick = grad_tick(node)
    return any(isinstance(n, Leaf) and n._changed_tick > tick for n in postorder(top))

"""Layer 8 — graphs, not just trees: topological order and cycle detection.

A node may feed several parents. Then the plain recursion of layer 2 would visit
it once per path; the fix is to visit nodes in *topological order* (every parent
before its children) and to sum the derivatives arriving from each parent.
Everything here is iterative, so a chain 100,000 nodes deep is fine.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from treeprop.errors import CycleError

if TYPE_CHECKING:
    from treeprop.nodes import NeuralNetNode


def postorder(root: NeuralNetNode) -> list[NeuralNetNode]:
    """Every node below ``root`` once, children before parents, left to right.

    Raises :class:`CycleError` naming the cycle if the graph has one.
    """
    order: list[NeuralNetNode] = []
    state: dict[int, int] = {}  # id -> 1 while on the path, 2 when finished
    path: list[NeuralNetNode] = []
    stack: list[tuple[NeuralNetNode, int]] = [(root, 0)]
    while stack:
        node, i = stack.pop()
        key = id(node)
        if i == 0:
            seen = state.get(key)
            if seen == 2:
                continue
            if seen == 1:  # pragma: no cover - guarded below
                raise _cycle_error(path, node)
            state[key] = 1
            path.append(node)
        children = node.children
        if i < len(children):
            stack.append((node, i + 1))
            child = children[i]
            mark = state.get(id(child))
            if mark == 1:
                raise _cycle_error(path, child)
            if mark is None:
                stack.append((child, 0))
        else:
            state[key] = 2
            path.pop()
            order.append(node)
    return order


def topological_order(root: NeuralNetNode) -> list[NeuralNetNode]:
    """Every node below ``root`` once, each parent before all of its children."""
    order = postorder(root)
    order.reverse()
    return order


def iter_nodes(root: NeuralNetNode) -> Iterator[NeuralNetNode]:
    """Each node once, in topological order (root first)."""
    return iter(topological_order(root))


def find_cycle(root: NeuralNetNode) -> list[NeuralNetNode] | None:
    """The nodes of a cycle reachable from ``root``, or ``None`` if there is none."""
    try:
        postorder(root)
    except CycleError as err:
        return err.cycle
    return None


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


def _cycle_error(path: list[NeuralNetNode], again: NeuralNetNode) -> CycleError:
    start = next(i for i, n in enumerate(path) if n is again)
    cycle = path[start:] + [again]
    names = " -> ".join(n.label() for n in cycle)
    err = CycleError(
        f"the graph has a cycle ({names}); a network must be acyclic, "
        "so no node may (indirectly) be its own child"
    )
    err.cycle = cycle  # type: ignore[attr-defined]
    return err

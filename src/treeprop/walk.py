"""The walk every layer shares: each node below a root once, children first.

Finding a model's inputs (layer 3), compiling it (layer 4), listing its
parameters, drawing it and saving it all need to visit every node once. The
walk is iterative, so a chain 100,000 nodes deep is fine, and it stops with a
:class:`~treeprop.errors.CycleError` that names the cycle if a node is its own
descendant. Layer 8 (:mod:`treeprop.graph`) explains why a node with several
parents must be visited once, and builds the topological order on this walk.
"""

from __future__ import annotations

from typing import Any

from treeprop.errors import CycleError


def postorder(root: Any) -> list[Any]:
    """Every node below ``root`` once, children before parents, left to right.

    Raises :class:`CycleError` naming the cycle if the graph has one.
    """
    order: list[Any] = []
    state: dict[int, int] = {}  # id -> 1 while on the path, 2 when finished
    path: list[Any] = []
    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack:
        node, i = stack.pop()
        if i == 0:
            state[id(node)] = 1
            path.append(node)
        children = node.children
        if i < len(children):
            stack.append((node, i + 1))
            child = children[i]
            mark = state.get(id(child))
            if mark == 1:
                raise cycle_error(path, child)
            if mark is None:
                stack.append((child, 0))
        else:
            state[id(node)] = 2
            path.pop()
            order.append(node)
    return order


def find_cycle(root: Any) -> list[Any] | None:
    """The nodes of a cycle reachable from ``root``, or ``None`` if there is none."""
    try:
        postorder(root)
    except CycleError as err:
        return err.cycle  # type: ignore[attr-defined, no-any-return]
    return None


def cycle_error(path: list[Any], again: Any) -> CycleError:
    """A CycleError naming the nodes from ``again``'s first visit back to it."""
    start = next(i for i, n in enumerate(path) if n is again)
    cycle = path[start:] + [again]
    names = " -> ".join(n.label() for n in cycle)
    err = CycleError(
        f"the graph has a cycle ({names}); a network must be acyclic, "
        "so no node may (indirectly) be its own child"
    )
    err.cycle = cycle  # type: ignore[attr-defined]
    return err

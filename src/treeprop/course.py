"""Small helpers for the course notebooks: keep demos running while an exercise is open.

A notebook asks the student to write, say, ``grad()`` for a node and then uses
it in a demo. If the exercise is not finished yet, the demo should still run,
with a visible note, on treeprop's own version. ``yours_or_reference`` does
that: it tries the student's version on a quick check and falls back to the
reference when the check raises or returns ``False``. Notes go to stdout only
(nbgrader counts any stderr output in a test cell as a failure).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["yours_or_reference", "works", "note", "in_kernel", "nodes_below"]


def note(text: str) -> None:
    """Print a course note (stdout, so nbgrader never mistakes it for an error)."""
    print(f"[note] {text}")


def works(check: Callable[[T], object], candidate: T) -> tuple[bool, str]:
    """Run ``check(candidate)``; return (passed, why-not).

    ``check`` passes when it returns anything but ``False`` without raising.
    """
    try:
        outcome = check(candidate)
    except NotImplementedError:
        return False, "it is not implemented yet"
    except AssertionError as err:
        return False, f"a quick check failed ({err})" if str(err) else "a quick check failed"
    except Exception as err:  # noqa: BLE001 - any failure means: use the reference
        return False, f"it raised {type(err).__name__}: {err}"
    if outcome is False:
        return False, "a quick check gave the wrong answer"
    return True, ""


def yours_or_reference(
    yours: T,
    reference: T,
    check: Callable[[T], object],
    what: str,
) -> T:
    """Your implementation if it passes ``check``, else treeprop's ``reference``.

    ``yours`` and ``reference`` are whatever the demo needs: a function, a
    class, a finished model. ``check`` takes one of them and raises (or returns
    ``False``) when it is wrong. ``what`` names it in the printed note, e.g.
    ``"Multiply.grad"``. Either way one line says which version the demo uses, so a
    student never wonders whether their own code ran.

    >>> grad_fn = yours_or_reference(my_grad, reference_grad, quick_check, "the grad")
    """
    ok, why = works(check, yours)
    if ok:
        note(f"using your {what}: it passed a quick check.")
        return yours
    note(
        f"your {what} is not ready: {why}. The demo below uses treeprop's reference "
        f"version instead; finish the exercise and re-run this cell to use your own."
    )
    return reference


def in_kernel(value: T) -> T:
    """``value`` itself: in the notebook a test's data already lives in the kernel.

    Test cells write ``data = in_kernel([...])`` when they check that the student's code
    leaves the caller's data unchanged. In the notebook this is the identity; in grading,
    where test cells run outside the kernel, the grader provides its own ``in_kernel`` that
    builds the value inside the kernel, so the check sees the very list the code was given.
    """
    return value


def nodes_below(root: Any, *attributes: str) -> list[tuple]:
    """Every node below ``root`` once (by identity, root first), as ``(node, children,
    *values)``: ``children`` a copy of the node's list, ``values`` the named attributes
    (``None`` where a node has none).

    Test cells read a whole graph with it. In the notebook it is this plain walk, reading
    each node's ``children`` once; in grading, where test cells run outside the kernel, the
    grader answers it with one request for the whole graph instead of one per node.
    """
    found: list[tuple] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        children = list(node.children)
        found.append((node, children, *(getattr(node, name, None) for name in attributes)))
        stack.extend(reversed(children))
    return found

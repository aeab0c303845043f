"""A tree drawn with text: what you see when graphviz's ``dot`` is missing."""

from __future__ import annotations

from typing import Any

from treeprop.viz.model import NodeView, describe, fmt

INSTALL_HINT = (
    "(text drawing: graphviz's `dot` program was not found; install graphviz with "
    "`make system-graphviz`, `sudo apt-get install graphviz`, `brew install graphviz` "
    "or `conda install graphviz` for the picture)"
)


def node_line(nv: NodeView) -> str:
    """One node as one line: ``[n3] Multiply ×  value 6  grad -1 (stale)``."""
    title = fmt(nv.value) if nv.kind == "constant" and nv.title == "constant" else nv.title
    parts = [f"[{nv.id}] {title}"]
    if nv.kind in ("input", "parameter", "constant"):
        parts[0] += f" ({nv.kind})"
    if nv.kind == "macro" and nv.members > 1:
        parts[0] += f" ({nv.members} nodes)"
    parts.append(f"error: {nv.error}" if nv.error else f"value {fmt(nv.value)}")
    if nv.gradient is not None:
        parts.append(f"grad {fmt(nv.gradient)}" + (" (stale)" if nv.stale else ""))
    return "  ".join(parts)


def text_tree(node: Any, *, gradients: bool = True, collapse_macros: Any = False,
              view: Any = None) -> str:
    """The tree below ``node`` as indented text, root first, one node a line.

    A node with several parents is written in full once; later it appears as
    ``[n3] ... (shared, see above)``. Works for trees of any depth.
    """
    if view is None:
        view = describe(node, collapse_macros=collapse_macros, gradients=gradients,
                        local_derivatives=False)
    by_id = {nv.id: nv for nv in view.nodes}
    children: dict[str, list[str]] = {nv.id: [] for nv in view.nodes}
    for e in view.edges:
        children[e.parent].append(e.child)
    lines: list[str] = []
    done: set[str] = set()
    # (node id, prefix for this line, prefix for its children)
    stack: list[tuple[str, str, str]] = [(view.root, "", "")]
    while stack:
        nid, here, below = stack.pop()
        nv = by_id[nid]
        if nid in done:
            lines.append(f"{here}[{nid}] {nv.title} (shared, see above)")
            continue
        done.add(nid)
        lines.append(here + node_line(nv))
        kids = children[nid]
        for k in reversed(range(len(kids))):
            last = k == len(kids) - 1
            stack.append((kids[k], below + ("└── " if last else "├── "),
                          below + ("    " if last else "│   ")))
    return "\n".join(lines)

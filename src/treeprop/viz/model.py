"""What a drawing shows, worked out once and independent of how it is drawn.

:func:`describe` walks a tree and returns plain records (:class:`NodeView`,
:class:`EdgeView`): which nodes are visible, their ids, kinds, values,
gradients and staleness, and what flows along each edge. The graphviz drawing
(:mod:`treeprop.viz.draw`), the text tree (:mod:`treeprop.viz.text`) and the
widgets all read these records, so they always agree.

Nothing here changes the model: values come from ``forward()`` on compiled
(cached) nodes and from each node's ``op`` otherwise; no ``backward`` runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from treeprop.graph import grad_tick, postorder
from treeprop.macros import Macro
from treeprop.nodes import Constant, Input, Leaf, NeuralNetNode, Parameter
from treeprop.outputs import Output

# Short symbols shown next to an operation's class name.
SYMBOLS = {
    "Add": "+",
    "Multiply": "×",
    "Divide": "÷",
    "Negate": "−x",
    "Exp": "eˣ",
    "Log": "ln",
    "Sigmoid": "σ",
}


@dataclass
class NodeView:
    """One box of a drawing: a node, or a collapsed macro standing for many."""

    id: str
    kind: str  # "input" | "parameter" | "constant" | "operation" | "output" | "macro"
    title: str
    node: Any
    value: Any = None
    error: str | None = None
    gradient: Any = None
    stale: bool = False
    members: int = 1  # how many nodes a collapsed macro stands for
    cluster: Any = None  # the macro whose frame holds this node (expanded drawings)


@dataclass
class EdgeView:
    """An arrow child -> parent, with what the chain rule sends along it."""

    child: str
    parent: str
    index: int  # position of the child among the parent's children (-1 if merged)
    local: float | None = None  # d(parent)/d(child), when it is one number
    incoming: Any = None  # the parent's gradient
    product: float | None = None  # incoming x local: the child's share of the gradient
    stale: bool = False
    count: int = 1  # how many edges of the tree this arrow stands for (collapsed)


@dataclass
class TreeView:
    nodes: list[NodeView] = field(default_factory=list)
    edges: list[EdgeView] = field(default_factory=list)
    root: str = ""
    by_node: dict[int, NodeView] = field(default_factory=dict)  # id(node) -> view
    clusters: dict[int, tuple[Any, Any]] = field(default_factory=dict)  # macro -> (macro, outer)
    order: list[Any] = field(default_factory=list)  # postorder of the real nodes


def fmt(value: Any, digits: int = 4) -> str:
    """A number as a short string: 4 significant digits, lists shortened."""
    if value is None:
        return "?"
    if isinstance(value, (list, tuple)):
        shown = ", ".join(fmt(v, digits) for v in value[:4])
        more = f", … ({len(value)})" if len(value) > 4 else ""
        return f"[{shown}{more}]"
    if isinstance(value, float) and math.isfinite(value):
        if value == 0.0:
            return "0"
        return f"{value:.{digits}g}"
    return str(value)


def kind_of(node: NeuralNetNode) -> str:
    if isinstance(node, Input):
        return "input"
    if isinstance(node, Parameter):
        return "parameter"
    if isinstance(node, Constant):
        return "constant"
    if isinstance(node, Macro):
        return "macro"
    if isinstance(node, Output):
        return "output"
    if isinstance(node, Leaf):
        return "input"
    return "operation"


def title_of(node: NeuralNetNode) -> str:
    """The heading of a node's box: its operation, or a leaf's name."""
    cls = type(node).__name__
    if isinstance(node, Input):
        return node.name or "input"
    if isinstance(node, Parameter):
        return node.name or "parameter"
    if isinstance(node, Constant):
        return node.name or "constant"
    if isinstance(node, Macro):
        return macro_title(node)
    text = cls
    if cls == "Power":
        text = f"Power ^{fmt(getattr(node, 'exponent', '?'))}"
    elif cls in SYMBOLS:
        text = f"{cls} {SYMBOLS[cls]}"
    if node.name:
        text = f"{node.name}: {text}"
    return text


def shown_name(nv: NodeView) -> str:
    """What a box's first line says: its heading, or an unnamed constant's value."""
    if nv.kind == "constant" and nv.title == "constant" and not nv.error:
        return fmt(nv.value)
    return nv.title


def box_names(view: TreeView, ids: bool | str = "ambiguous") -> dict[str, str]:
    """Box id -> the name its first line shows, made unique with the id where needed.

    ``ids="ambiguous"`` adds ``[n3]`` to every box whose name another box shares
    (two ``Multiply ×``, unnamed parameters), ``True`` to every box, ``False`` to
    none. Text that refers to boxes (the step-through) uses these names, so it
    only names what the drawing shows.
    """
    if ids not in (True, False, "ambiguous"):
        raise ValueError(f"ids must be True, False or 'ambiguous', not {ids!r}")
    plain = {nv.id: shown_name(nv) for nv in view.nodes}
    counts: dict[str, int] = {}
    for name in plain.values():
        counts[name] = counts.get(name, 0) + 1
    return {nid: f"{name} [{nid}]" if ids is True or (ids and counts[name] > 1) else name
            for nid, name in plain.items()}


def macro_title(macro: Macro) -> str:
    cls = type(macro).__name__
    if cls == "Linear":
        text = f"Linear {len(macro.arguments)}→{macro.outputs}"
    elif cls == "MLP":
        sizes = "-".join(str(s) for s in macro.sizes)
        text = f"MLP {sizes} {macro.activation.__name__}"
    else:
        text = cls
    return f"{macro.name}: {text}" if macro.name else text


def node_values(order: list[NeuralNetNode]) -> tuple[dict[int, Any], dict[int, str]]:
    """Every node's value, children first, without touching the model's state.

    Compiled nodes answer from their cache (``forward()``); others apply their
    own ``op`` to the children's values already found, so an uncompiled tree
    costs one ``op`` per node instead of the recursion's repeated work. A node
    whose value cannot be computed (log of a negative number, ...) gets an error
    message instead, and so do the nodes above it.
    """
    values: dict[int, Any] = {}
    errors: dict[int, str] = {}
    for node in order:
        key = id(node)
        if isinstance(node, Leaf):
            values[key] = node.value
            continue
        if any(id(c) in errors for c in node.children):
            errors[key] = "needs a child's value"
            continue
        try:
            if node._cached:
                values[key] = node.forward()
            else:
                try:
                    values[key] = node.op([values[id(c)] for c in node.children])
                except NotImplementedError:
                    values[key] = node.forward()
        except (ArithmeticError, ValueError, TypeError) as err:
            errors[key] = str(err).split(";")[0]
    return values, errors


def _stale_map(order: list[NeuralNetNode]) -> dict[int, bool]:
    """Which gradients no longer match the tree's current values.

    A gradient d(root)/d(node) depends on values all over the tree (the
    gradient of ``w`` in ``w * x`` is ``x``), so it is stale as soon as any leaf
    of the drawn tree changed after it was computed. That includes every case
    ``gradient_is_stale`` reports (a leaf below the node changed).
    """
    newest = max((n._changed_tick for n in order if isinstance(n, Leaf)), default=-1)
    return {id(n): n.gradient is None or newest > grad_tick(n) for n in order}


def leaves_changed_since(order: list[NeuralNetNode], tick: int) -> list[Leaf]:
    """The leaves among ``order`` whose value changed after clock tick ``tick``."""
    return [n for n in order if isinstance(n, Leaf) and n._changed_tick > tick]


def _all_macros(order: list[NeuralNetNode]) -> list[Macro]:
    seen: dict[int, Macro] = {}
    for node in order:
        m = node if isinstance(node, Macro) else node.macro
        while m is not None and id(m) not in seen:
            seen[id(m)] = m
            m = m.macro
    return list(seen.values())


def _representatives(order: list[NeuralNetNode], collapse: Any) -> dict[int, Any]:
    """Which visible box stands for each node: itself, or a collapsed macro."""
    rep: dict[int, Any] = {}
    if not collapse:
        return {id(n): n for n in order}
    macros = _all_macros(order)
    if collapse == "inner":
        has_inner = {id(m.macro) for m in macros if m.macro is not None}
        chosen = {id(m) for m in macros if id(m) not in has_inner}
    elif collapse is True or collapse == "outer":
        chosen = {id(m) for m in macros if m.macro is None}
    else:
        raise ValueError("collapse_macros must be True, False, 'outer' or 'inner', "
                         f"not {collapse!r}")
    for node in order:
        target = node
        m = node.macro
        while m is not None:
            if id(m) in chosen:
                target = m
            m = m.macro
        if isinstance(node, Macro) and id(node) in chosen:
            target = node
        rep[id(node)] = target
    return rep


def describe(
    root: NeuralNetNode,
    *,
    collapse_macros: Any = False,
    gradients: bool = True,
    local_derivatives: bool = True,
    gradient_of: dict[int, Any] | None = None,
    gradient_tick: int | None = None,
) -> TreeView:
    """The records a drawing of ``root`` is made of (see the module docstring).

    ``gradient_of`` (``id(node) -> gradient``) shows those gradients instead of
    the nodes' own (the step-by-step backward pass uses it); nodes missing from
    it show none. ``gradient_tick`` is the value clock (``treeprop.nodes.now()``)
    when they were computed: if a leaf of the tree changed since, they are drawn
    stale, like a node's own out-of-date gradient. Without it they count as
    current.
    """
    order = postorder(root)
    facts = _Facts(order, collapse_macros, gradients, gradient_of, gradient_tick)
    view = TreeView(order=order)
    _add_boxes(view, facts)
    view.root = view.by_node[id(root)].id
    if not collapse_macros:
        for m in _all_macros(order):
            view.clusters[id(m)] = (m, m.macro)
    _add_edges(view, facts, local_derivatives)
    return view


class _Facts:
    """What describe needs to know of every node: values, gradients, boxes."""

    def __init__(self, order: list[NeuralNetNode], collapse: Any, gradients: bool,
                 gradient_of: dict[int, Any] | None, gradient_tick: int | None = None
                 ) -> None:
        self.order, self.collapse, self.gradients = order, collapse, gradients
        self.index = {id(n): i for i, n in enumerate(order)}
        self.values, self.errors = node_values(order)
        if gradient_of is None:
            self.stale = _stale_map(order)
            self.grads = {id(n): n.gradient for n in order}
        else:
            old = gradient_tick is not None and leaves_changed_since(order, gradient_tick)
            self.stale = {id(n): old for n in order}
            self.grads = {id(n): gradient_of.get(id(n)) for n in order}
        self.rep = _representatives(order, collapse)
        self.members: dict[int, list[NeuralNetNode]] = {}
        for node in order:
            self.members.setdefault(id(self.rep[id(node)]), []).append(node)
        self.box_index = self._box_indices()

    def _box_indices(self) -> dict[int, int]:
        """A real node is n<its postorder index>; a collapsed macro that is not itself
        in the tree takes the index of its member nearest the root."""
        box_index: dict[int, int] = {}
        for node in self.order:
            r = self.rep[id(node)]
            if id(r) in self.index:
                box_index[id(r)] = self.index[id(r)]
            else:
                box_index[id(r)] = max(box_index.get(id(r), -1), self.index[id(node)])
        return box_index

    def show_gradient(self, nv: NodeView, node: Any) -> None:
        if self.gradients and id(node) in self.index and self.grads[id(node)] is not None:
            nv.gradient = self.grads[id(node)]
            nv.stale = self.stale[id(node)]


def _add_boxes(view: TreeView, facts: _Facts) -> None:
    """One NodeView per visible box; every node points at the box that shows it."""
    boxes: dict[int, NodeView] = {}
    for node in facts.order:
        r = facts.rep[id(node)]
        if id(r) not in boxes:
            nid = f"n{facts.box_index[id(r)]}"
            boxes[id(r)] = _node_box(facts, node, nid) if r is node else \
                _macro_box(facts, r, nid)
        view.by_node[id(node)] = boxes[id(r)]
    view.nodes = sorted(boxes.values(), key=lambda v: int(v.id[1:]))


def _node_box(facts: _Facts, node: NeuralNetNode, nid: str) -> NodeView:
    nv = NodeView(nid, kind_of(node), title_of(node), node,
                  value=facts.values.get(id(node)), error=facts.errors.get(id(node)))
    facts.show_gradient(nv, node)
    if not facts.collapse and node.macro is not None:
        nv.cluster = node.macro
    return nv


def _macro_box(facts: _Facts, macro: Macro, nid: str) -> NodeView:
    """A collapsed macro: one box for all its members."""
    count = len(facts.members[id(macro)]) - (1 if id(macro) in facts.index else 0)
    nv = NodeView(nid, "macro", macro_title(macro), macro, members=count)
    nv.value, nv.error = _macro_value(macro, facts.values, facts.errors, facts.index)
    facts.show_gradient(nv, macro)
    return nv


def _add_edges(view: TreeView, facts: _Facts, local_derivatives: bool) -> None:
    """One EdgeView per child edge; edges between collapsed boxes are merged."""
    merged: dict[tuple[str, str], EdgeView] = {}
    for parent in facts.order:
        if not parent.children:
            continue
        pv = view.by_node[id(parent)]
        d = facts.grads[id(parent)] if facts.gradients else None
        shares = _shares(parent, d, local_derivatives)
        parent_stale = d is not None and facts.stale[id(parent)]
        for i, child in enumerate(parent.children):
            cv = view.by_node[id(child)]
            if cv is pv:
                continue  # inside one collapsed macro
            local, product = shares[i] if shares else (None, None)
            edge = EdgeView(cv.id, pv.id, i, local, d, product, parent_stale)
            if not facts.collapse:
                view.edges.append(edge)
            elif (cv.id, pv.id) in merged:
                _merge(merged[(cv.id, pv.id)], edge)
            else:
                merged[(cv.id, pv.id)] = edge
                view.edges.append(edge)


def _merge(into: EdgeView, edge: EdgeView) -> None:
    """Several edges between the same two boxes: one edge that counts them."""
    into.count += 1
    into.local = None
    into.incoming = None
    into.index = -1
    into.product = None if (into.product is None or edge.product is None) \
        else into.product + edge.product
    into.stale = into.stale or edge.stale


def _shares(parent: NeuralNetNode, d: Any,
            local_derivatives: bool) -> list[tuple[float | None, float | None]] | None:
    """(local derivative, d x local: the chain-rule product) for each child of ``parent``."""
    if d is None and not local_derivatives:
        return None
    n = len(parent.children)
    locals_: list[float | None] = [None] * n
    products: list[float | None] = [None] * n
    try:
        if local_derivatives and not parent.returns_list:  # a Jacobian is not one number
            g = parent.grad()
            if len(g) == n and all(isinstance(v, (int, float)) for v in g):
                locals_ = [float(v) for v in g]
        if d is not None:
            for i, (_child, share) in enumerate(parent._child_derivatives(d)):
                if i < n and isinstance(share, (int, float)):
                    products[i] = float(share)
    except (ArithmeticError, ValueError, TypeError, NotImplementedError):
        pass
    return list(zip(locals_, products))


def _macro_value(macro: Macro, values: dict[int, Any], errors: dict[int, str],
                 index: dict[int, int]) -> tuple[Any, str | None]:
    if id(macro) in values or id(macro) in errors:
        return values.get(id(macro)), errors.get(id(macro))
    root = macro.children[0]
    if id(root) in index or not isinstance(root, Output):
        return values.get(id(root)), errors.get(id(root))
    out = []
    for unit in root.children:
        if id(unit) in errors:
            return None, errors[id(unit)]
        if id(unit) not in values:
            return None, None
        out.append(values[id(unit)])
    return out, None

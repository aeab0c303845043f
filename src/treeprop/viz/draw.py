"""Draw a tree with graphviz: values, gradients and the chain rule on the edges.

``draw(model)`` returns a :class:`TreeDrawing`, a ``graphviz.Digraph`` that
Jupyter shows inline. Node ids are ``n<postorder index>`` (children first, left
to right), so the same tree always gets the same ids; the SVG elements carry
them as ``id="tp_n3"`` and CSS classes such as ``tp_parameter`` and
``tp_stale``. Without the ``dot`` program the drawing shows itself as a text
tree with a one-line hint instead of failing.
"""

from __future__ import annotations

import hashlib
import html
import re
from typing import Any

import graphviz

from treeprop.viz.model import (
    EdgeView,
    NodeView,
    TreeView,
    box_names,
    describe,
    fmt,
    macro_title,
    shown_name,
)
from treeprop.viz.text import INSTALL_HINT, text_tree

# Colour-blind safe pair (blue / orange) for the sign of a gradient.
POSITIVE = "#2166ac"
NEGATIVE = "#d95f02"
ZERO = "#9e9e9e"
STALE = "#b0b0b0"

STYLES: dict[str, dict[str, str]] = {
    "input": {"shape": "box", "style": "rounded,filled", "fillcolor": "#d9f0d3"},
    "parameter": {"shape": "box", "style": "filled", "fillcolor": "#fff3b0"},
    "constant": {"shape": "box", "style": "filled,dotted", "fillcolor": "#eeeeee"},
    "operation": {"shape": "ellipse", "style": "filled", "fillcolor": "#dde8f8"},
    "output": {"shape": "hexagon", "style": "filled", "fillcolor": "#f6dbe6"},
    "macro": {"shape": "box3d", "style": "filled", "fillcolor": "#e8ddf5"},
}
KIND_NAMES = {"input": "input", "parameter": "parameter", "constant": "constant",
              "operation": "operation", "output": "output (list)", "macro": "macro"}


class TreeDrawing(graphviz.Digraph):
    """A ``graphviz.Digraph`` that falls back to a text tree when ``dot`` is missing."""

    #: the records the drawing was made from (see :mod:`treeprop.viz.model`)
    view: TreeView | None = None
    text: str = ""

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None,
                          **kwargs: Any) -> dict[str, Any]:
        """HTML that fits the output's width (click: full size), and the text tree.

        JupyterLab shows an ``image/svg+xml`` output as an ``<img>`` at its own
        size, so a wide drawing was cut off; HTML can scale. The raw SVG is added
        only when ``include`` asks for it (it would double the saved notebook).
        """
        try:
            svg = self._repr_image_svg_xml()
        except graphviz.ExecutableNotFound:
            return {"text/plain": f"{self.text}\n{INSTALL_HINT}"}
        except graphviz.CalledProcessError as err:
            first = (err.stderr or b"").decode(errors="replace").strip().splitlines()[:1]
            why = f": {first[0]}" if first else ""
            return {"text/plain": f"{self.text}\n(text drawing: graphviz's dot failed{why})"}
        bundle = {"text/html": fit_markup(svg, fallback=self.text), "text/plain": self.text}
        if include is not None and "image/svg+xml" in include:
            bundle["image/svg+xml"] = svg
        if include is not None:
            bundle = {k: v for k, v in bundle.items() if k in include}
        if exclude is not None:
            bundle = {k: v for k, v in bundle.items() if k not in exclude}
        return bundle

    def _repr_image_svg_xml(self) -> str:
        # quiet: dot's layout warnings must not reach stderr (nbgrader fails on stderr)
        return self.pipe(format="svg", encoding="utf-8", quiet=True)

    def svg(self) -> str:
        """The drawing as an SVG string, or ``""`` when ``dot`` is missing."""
        try:
            return self.pipe(format="svg", encoding="utf-8", quiet=True)
        except graphviz.ExecutableNotFound:
            return ""

    def __str__(self) -> str:
        return self.source


#: wider than this (CSS pixels), a drawing says it can be clicked to full size
WIDE_PX = 640
_ZOOM = ("var s=this.querySelector('svg');if(s&&(this.classList.contains('tp-zoomed')||"
         "s.getBoundingClientRect().width<s.width.baseVal.value-1))"
         "this.classList.toggle('tp-zoomed')")


def svg_width_px(svg: str) -> float:
    """The width the SVG asks for, in CSS pixels (graphviz writes points)."""
    m = re.search(r'<svg[^>]*?\swidth="([\d.]+)(pt|px)?"', svg)
    if not m:
        return 0.0
    return float(m.group(1)) * (4.0 / 3.0 if m.group(2) in (None, "pt") else 1.0)


def fit_markup(svg: str, *, fallback: str | None = None, max_height: str | None = None) -> str:
    """HTML showing ``svg`` scaled down to the width it is given; a click toggles full size.

    The drawing sits in a ``hidden="hidden"`` box (JupyterLab's sanitiser drops an
    empty ``hidden``) that a ``<style>`` of its own shows. Where
    HTML is sanitised (JupyterLab before a notebook is trusted) the style and the
    SVG are removed, the box stays hidden and ``fallback`` (the text tree) shows
    instead of the SVG's words run together; where the style applies, the text is
    hidden. The class names are unique to each drawing (a hash of its SVG), so one
    output's style cannot reveal another drawing's sanitised leftovers. The click
    works where scripts may run (a trusted output, a widget); it does nothing to a
    drawing that fits.
    """
    start = svg.find("<svg")
    svg = svg[start:] if start >= 0 else svg
    key = f"tp-fit-{hashlib.sha1(svg.encode()).hexdigest()[:12]}"  # same drawing, same key
    wide = svg_width_px(svg) > WIDE_PX
    box = "display:block!important;overflow-x:auto" + (
        f";max-height:{max_height};overflow-y:auto" if max_height else "")
    style = (f"<style>.{key}>.tp-svg{{{box}}}"
             f".{key}>.tp-svg>svg{{max-width:100%;height:auto}}"
             f".{key}.tp-wide>.tp-svg>svg{{cursor:zoom-in}}"
             f".{key}>.tp-svg.tp-zoomed>svg{{max-width:none;cursor:zoom-out}}"
             f".{key}>.tp-text{{display:none!important}}</style>")
    title = ' title="click: full size, click again: fit to the width"' if wide else ""
    text = ""
    if fallback is not None:
        text = (f'<pre class="tp-text">{html.escape(fallback)}\n(the drawing shows once '
                "the notebook is trusted or the cell has run)</pre>")
    return (f'<div class="tp-fit {key}{" tp-wide" if wide else ""}">{style}'
            f'<div class="tp-svg" hidden="hidden"{title} onclick="{_ZOOM}">{svg}</div>{text}</div>')


def _esc(text: str) -> str:
    """Escape user text for a DOT label where ``\\n`` separates lines."""
    return str(text).replace("\\", "\\\\").replace('"', '\\"')


def node_label(nv: NodeView, gradients: bool = True, name: str | None = None) -> str:
    """The box's lines: its name (``name`` if given), value (or error) and gradient."""
    lines = [_esc(name if name is not None else shown_name(nv))]
    if nv.kind == "macro" and nv.members > 1:
        lines[0] += f" ({nv.members} nodes)"
    if nv.error:
        lines.append("error: " + _esc(nv.error[:40]))
    elif not (nv.kind == "constant" and nv.title == "constant"):
        lines.append(f"value {fmt(nv.value)}")
    if gradients and nv.gradient is not None:
        lines.append(f"grad {fmt(nv.gradient)}" + (" (stale)" if nv.stale else ""))
    return "\\n".join(lines)


def _node_attrs(nv: NodeView) -> dict[str, str]:
    attrs = dict(STYLES[nv.kind])
    classes = [f"tp_node tp_{nv.kind}"]
    if nv.stale:
        attrs["style"] += ",dashed"
        attrs["color"] = STALE
        attrs["fontcolor"] = "#666666"
        classes.append("tp_stale")
    elif nv.gradient is not None:
        classes.append("tp_has_grad")
    if nv.error:
        attrs["color"] = "#b2182b"
        classes.append("tp_error")
    attrs["id"] = f"tp_{nv.id}"
    attrs["class"] = " ".join(classes)
    return attrs


def _edge_attrs(e: EdgeView, scale: float, gradients: bool, labels: bool) -> dict[str, str]:
    which = e.index if e.index >= 0 else "all"  # "all": several edges drawn as one
    attrs = {"id": f"tp_e_{e.child}_{e.parent}_{which}", "class": "tp_edge"}
    if gradients and e.product is not None:
        if e.stale:
            attrs.update(color=STALE, style="dashed", penwidth="1")
            attrs["class"] += " tp_stale"
        else:
            size = abs(e.product) / scale if scale > 0 else 0.0
            colour = POSITIVE if e.product > 0 else NEGATIVE if e.product < 0 else ZERO
            attrs.update(color=colour, penwidth=f"{1.0 + 4.0 * min(size, 1.0):.2f}")
            attrs["class"] += " tp_pos" if e.product > 0 else " tp_neg" if e.product < 0 \
                else " tp_zero"
    if labels:
        parts = []
        if e.local is not None:
            parts.append(f"local {fmt(e.local)}")
        if gradients and e.product is not None:
            if e.local is not None and e.incoming is not None and not isinstance(
                    e.incoming, list):
                parts.append(f"{fmt(e.incoming)} × {fmt(e.local)} = {fmt(e.product)}")
            else:
                parts.append(f"sends {fmt(e.product)}")
            if e.stale:
                parts.append("(stale)")
        if e.count > 1:
            parts.append(f"{e.count} edges")
        if parts:
            # a space each side: dot sizes labels with Helvetica's widths, and a browser that
            # substitutes a wider sans (DejaVu) would make parallel edges' labels touch
            attrs["label"] = "\\n".join(f" {part} " for part in parts)
            attrs["fontsize"] = "9"
            attrs["fontcolor"] = "#444444"
    return attrs


def legend_label(kinds: list[str], gradients: bool, stale: bool) -> str:
    """An HTML-like table: one cell per node kind shown, then the edge colours."""
    cells = []
    for k in kinds:
        colour = STYLES[k]["fillcolor"]
        cells.append(f'<td bgcolor="{colour}">{KIND_NAMES[k]}</td>')
    rows = [f"<tr>{''.join(cells)}</tr>"]
    if gradients:
        grad_cells = [
            f'<td><font color="{POSITIVE}">━━ gradient &gt; 0</font></td>',
            f'<td><font color="{NEGATIVE}">━━ gradient &lt; 0</font></td>',
            "<td>wider = larger |gradient|</td>",
        ]
        if stale:
            grad_cells.append(f'<td><font color="{STALE}">- - stale (inputs changed)</font></td>')
        rows.append(f"<tr>{''.join(grad_cells)}</tr>")
    return ('<<table border="0" cellborder="1" cellspacing="0" cellpadding="3">'
            f"{''.join(rows)}</table>>")


def draw(
    node: Any,
    *,
    gradients: bool = True,
    edge_labels: bool = False,
    collapse_macros: Any = False,
    rankdir: str = "BT",
    title: str | None = None,
    legend: bool = True,
    clusters: bool = True,
    max_nodes: int | None = 250,
    highlight: Any = (),
    view: TreeView | None = None,
    ids: bool | str = False,
    names: dict[int, str] | None = None,
) -> TreeDrawing:
    """Draw the tree below ``node``; Jupyter shows the result inline.

    Each box shows the operation (or an input's name), its forward value and,
    once ``backward`` has run, its gradient; a gradient computed before an input
    or parameter changed is marked ``(stale)`` and dashed. Edges point from a
    child up to its parent; their colour (blue > 0, orange < 0) and width show
    the sign and size of the derivative the chain rule sends along them.

    ``edge_labels=True`` writes the local derivative and the chain-rule product
    on every edge. ``collapse_macros=True`` draws each outermost macro (an MLP,
    a Linear layer) as one box; ``"inner"`` collapses only the innermost macros
    (the layers of an MLP); ``False`` draws every elementary node, framing each
    macro's nodes. An expanded drawing that would have more than ``max_nodes``
    boxes collapses its innermost macros instead (and says so in the title), so
    ``draw(MLP([2, 16, 16, 1]))`` stays readable; ``max_nodes=None`` never
    collapses on its own. ``highlight`` lists node ids (``"n3"``) to outline in
    red. ``ids=True`` writes each box's id (``[n3]``) after its name,
    ``ids="ambiguous"`` only where two boxes would read the same.
    ``names`` (``id(node) -> name``) heads those nodes' boxes instead of their
    own names (``explore`` writes its slider names on unnamed parameters).
    ``rankdir`` is graphviz's direction ("BT": root on top).
    Drawing evaluates the tree (``forward``) but never runs ``backward``.
    In Jupyter a drawing wider than the output is scaled to its width; click it
    for full size, click again to fit.
    """
    if view is None:
        view, title = _view_for(node, collapse_macros, gradients, edge_labels, max_nodes,
                                title)
    for nv in view.nodes if names else ():
        if id(nv.node) in names:
            nv.title = names[id(nv.node)]
    g = _graph(view, rankdir, title)
    g.text = text_tree(node, view=view)
    marked = {highlight} if isinstance(highlight, str) else set(highlight)
    names = box_names(view, ids)
    framed = clusters and bool(view.clusters)
    frames = _frames(view) if framed else {}
    for nv in view.nodes:
        target = frames.get(id(nv.cluster)) if framed and nv.cluster is not None else None
        attrs = _node_attrs(nv)
        if nv.id in marked:
            attrs.update(color="#d62728", penwidth="3")
            attrs["class"] += " tp_highlight"
        (target or g).node(nv.id, node_label(nv, gradients, names[nv.id]), **attrs)
    if framed:
        _nest_frames(g, view, frames)
    _draw_edges(g, view, gradients, edge_labels, marked)
    if legend:
        kinds = [k for k in STYLES if any(nv.kind == k for nv in view.nodes)]
        has_grad = gradients and any(e.product is not None for e in view.edges)
        any_stale = any(nv.stale for nv in view.nodes)
        g.node("legend", legend_label(kinds, has_grad, any_stale), shape="plaintext",
               fontsize="9", id="tp_legend", **{"class": "tp_legend"})
    return g


def _view_for(node: Any, collapse: Any, gradients: bool, edge_labels: bool,
              max_nodes: int | None, title: str | None) -> tuple[TreeView, str | None]:
    """The records to draw, with the innermost macros collapsed if there are too many."""
    view = describe(node, collapse_macros=collapse, gradients=gradients,
                    local_derivatives=edge_labels)
    if max_nodes is not None and len(view.nodes) > max_nodes and view.clusters:
        full = len(view.nodes)
        view = describe(node, collapse_macros="inner", gradients=gradients,
                        local_derivatives=edge_labels)
        note = (f"{full} nodes: layers drawn as boxes "
                "(collapse_macros=False, max_nodes=None draws every node)")
        title = f"{title}\n{note}" if title else note
    return view, title


def _graph(view: TreeView, rankdir: str, title: str | None) -> TreeDrawing:
    """An empty drawing with the layout settings (smaller type for big trees)."""
    g = TreeDrawing(name="treeprop", format="svg")
    g.view = view
    big = len(view.nodes) > 60
    g.attr(rankdir=rankdir, fontname="Helvetica", nodesep="0.15" if big else "0.25",
           ranksep="0.3" if big else "0.4", bgcolor="white")
    if title:
        g.attr(label=_esc(title).replace("\n", "\\n"), labelloc="t", fontsize="12")
    g.attr("node", fontname="Helvetica", fontsize="9" if big else "10", height="0.3",
           margin="0.12,0.07")
    g.attr("edge", arrowsize="0.6", color="#555555", fontname="Helvetica")
    return g


def _frames(view: TreeView) -> dict[int, graphviz.Digraph]:
    """A dashed frame per expanded macro."""
    frames: dict[int, graphviz.Digraph] = {}
    for key, (macro, _outer) in view.clusters.items():
        number = len(frames)
        frame = graphviz.Digraph(name=f"cluster_{number}")
        frame.attr(label=_esc(view_title(macro)), style="rounded,dashed", color="#9467bd",
                   fontsize="10", fontcolor="#6a3d9a", id=f"tp_frame_{number}")
        frames[key] = frame
    return frames


def _nest_frames(g: TreeDrawing, view: TreeView, frames: dict[int, graphviz.Digraph]) -> None:
    """Put each frame inside its outer macro's, innermost first so they can nest."""
    depth = {}
    for key, (macro, _outer) in view.clusters.items():
        d, m = 0, macro.macro
        while m is not None:
            d, m = d + 1, m.macro
        depth[key] = d
    for key in sorted(frames, key=lambda k: -depth[k]):
        _macro, outer = view.clusters[key]
        parent = frames.get(id(outer)) if outer is not None else None
        (parent or g).subgraph(frames[key])


def _draw_edges(g: TreeDrawing, view: TreeView, gradients: bool, edge_labels: bool,
                marked: set[str]) -> None:
    """Edges child -> parent, coloured and sized by what the chain rule sends."""
    scale = max((abs(e.product) for e in view.edges
                 if e.product is not None and not e.stale), default=0.0)
    for e in view.edges:
        attrs = _edge_attrs(e, scale, gradients, edge_labels)
        if e.parent in marked and e.product is not None and not edge_labels:
            attrs["label"] = "\\n".join(
                ([f"local {fmt(e.local)}"] if e.local is not None else [])
                + [f"sends {fmt(e.product)}"])
            attrs.update(fontsize="9", fontcolor="#d62728")
        g.edge(e.child, e.parent, **attrs)


def view_title(macro: Any) -> str:
    return macro_title(macro)

"""A network drawn as neurons and weights, the way TensorFlow Playground shows it.

``draw_network(model)`` finds the :class:`~treeprop.macros.Linear` layers in a
model (an ``MLP`` is made of them) and draws one circle per neuron and one
edge per weight: blue for a positive weight, orange for a negative one, wider
for a larger size. Each neuron shows its bias.
"""

from __future__ import annotations

from typing import Any

from treeprop.graph import postorder
from treeprop.macros import Linear
from treeprop.nodes import Input, Parameter
from treeprop.ops import Multiply
from treeprop.viz.draw import NEGATIVE, POSITIVE, TreeDrawing, draw
from treeprop.viz.model import _all_macros, fmt
from treeprop.viz.text import text_tree


def linear_layers(model: Any) -> list[Linear]:
    """The model's Linear layers, first layer first."""
    order = postorder(model)
    index = {id(n): i for i, n in enumerate(order)}
    layers = [m for m in _all_macros(order) if isinstance(m, Linear)]
    return sorted(layers, key=lambda m: max(index.get(id(u), -1) for u in m.units()))


def _weights(unit: Any) -> tuple[list[tuple[Any, Parameter]], Parameter | None]:
    """(source node, weight) for each input of a neuron, and its bias."""
    pairs, bias = [], None
    for term in unit.children:
        if isinstance(term, Parameter):
            bias = term
        elif isinstance(term, Multiply) and len(term.children) == 2:
            a, b = term.children
            if isinstance(a, Parameter):
                pairs.append((b, a))
            elif isinstance(b, Parameter):
                pairs.append((a, b))
    return pairs, bias


def draw_network(model: Any, *, title: str | None = None, rankdir: str = "LR") -> TreeDrawing:
    """Neurons as circles, weights as edges (colour = sign, width = size).

    A model without Linear layers is drawn as a tree instead (``draw``).
    """
    layers = linear_layers(model)
    if not layers:
        return draw(model, collapse_macros="inner", title=title)
    g = TreeDrawing(name="network", format="svg")
    g.text = text_tree(model, collapse_macros="inner")
    g.attr(rankdir=rankdir, nodesep="0.12", ranksep="1.1", fontname="Helvetica",
           splines="line", bgcolor="white")
    if title:
        g.attr(label=title, labelloc="t", fontsize="12")
    g.attr("node", shape="circle", fixedsize="shape", width="0.5", fontsize="7",
           fontname="Helvetica", style="filled")
    neuron: dict[int, str] = {}  # id(node that carries a neuron's output) -> graph id
    first = layers[0]
    for i, arg in enumerate(first.arguments):
        nid = f"in{i}"
        name = arg.name if isinstance(arg, Input) and arg.name else f"x{i}"
        g.node(nid, name, fillcolor="#d9f0d3", id=f"tp_{nid}", **{"class": "tp_neuron tp_input"})
        neuron[id(arg)] = nid
    weights = [abs(w.value) for layer in layers for u in layer.units()
               for _s, w in _weights(u)[0]]
    scale = max(weights, default=1.0) or 1.0
    units_seen: dict[int, str] = {}
    for k, layer in enumerate(layers, start=1):
        last = k == len(layers)
        with g.subgraph(name=f"layer{k}") as sub:
            sub.attr(rank="same")
            for j, unit in enumerate(layer.units()):
                nid = f"l{k}u{j}"
                _pairs, bias = _weights(unit)
                label = f"b {fmt(bias.value, 2)}" if bias is not None else ""
                sub.node(nid, label, fillcolor="#f6dbe6" if last else "#dde8f8",
                         id=f"tp_{nid}",
                         **{"class": f"tp_neuron {'tp_output' if last else 'tp_hidden'}"})
                units_seen[id(unit)] = nid
    # a neuron's output is its unit or an activation node right above it
    for node in postorder(model):
        if id(node) in neuron or id(node) in units_seen:
            continue
        if len(node.children) == 1 and id(node.children[0]) in units_seen:
            neuron[id(node)] = units_seen[id(node.children[0])]
    neuron.update(units_seen)
    for k, layer in enumerate(layers, start=1):
        for j, unit in enumerate(layer.units()):
            for i, (source, w) in enumerate(_weights(unit)[0]):
                src = neuron.get(id(source))
                if src is None:
                    continue
                colour = POSITIVE if w.value > 0 else NEGATIVE
                width = 0.4 + 4.0 * abs(w.value) / scale
                g.edge(src, f"l{k}u{j}", color=colour, penwidth=f"{width:.2f}",
                       arrowhead="none", id=f"tp_w{k}_{j}_{i}",
                       **{"class": f"tp_weight {'tp_pos' if w.value > 0 else 'tp_neg'}"})
    return g


def network_summary(model: Any) -> str:
    """One line per layer: its size and the range of its weights."""
    lines = []
    for k, layer in enumerate(linear_layers(model), start=1):
        ws = [w.value for u in layer.units() for _s, w in _weights(u)[0]]
        lines.append(f"layer {k}: {len(layer.arguments)} -> {layer.outputs}, weights "
                     f"{fmt(min(ws), 2)} .. {fmt(max(ws), 2)}")
    return "\n".join(lines)


__all__ = ["draw_network", "linear_layers", "network_summary"]

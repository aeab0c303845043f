"""treeprop.viz.draw: the DOT source of known trees, and the text fallback."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from conftest import require_program

import treeprop as tp
from treeprop.viz import draw, text_tree
from treeprop.viz.model import fmt


def small():
    x = tp.Input(2.0, name="x")
    w = tp.Parameter(3.0, name="w")
    b = tp.Parameter(-1.0, name="b")
    return tp.Add(tp.Multiply(w, x), b), x, w, b


def node_line(source: str, nid: str) -> str:
    lines = [ln for ln in source.splitlines() if ln.strip().startswith(f"{nid} [")]
    assert len(lines) == 1, f"{nid} appears {len(lines)} times"
    return lines[0]


def edges(source: str) -> list[tuple[str, str]]:
    return re.findall(r"^\s*(n\d+) -> (n\d+)", source, re.M)


def test_ids_follow_postorder_and_labels_show_op_and_value():
    y, x, w, b = small()
    src = draw(y).source
    assert "w\\nvalue 3" in node_line(src, "n0")
    assert "x\\nvalue 2" in node_line(src, "n1")
    assert "Multiply" in node_line(src, "n2") and "value 6" in node_line(src, "n2")
    assert "b\\nvalue -1" in node_line(src, "n3")
    assert "Add" in node_line(src, "n4") and "value 5" in node_line(src, "n4")
    assert edges(src) == [("n0", "n2"), ("n1", "n2"), ("n2", "n4"), ("n3", "n4")]
    assert "grad" not in src  # no backward yet: no gradients shown
    # the same tree drawn again gives the same source (nothing depends on id())
    assert draw(y).source == src


def test_kinds_differ_by_shape_and_class():
    y, *_ = small()
    y = tp.Add(y, 2.0)
    src = draw(y).source
    styles = {}
    for nid, kind in [("n0", "parameter"), ("n1", "input"), ("n2", "operation"),
                      ("n4", "operation"), ("n5", "constant")]:
        line = node_line(src, nid)
        assert f"tp_{kind}" in line
        shape = re.search(r"shape=(\w+)", line).group(1)
        fill = re.search(r'fillcolor="([^"]+)"', line).group(1)
        styles.setdefault(kind, set()).add((shape, fill))
    assert all(len(v) == 1 for v in styles.values())
    assert len({next(iter(v)) for v in styles.values()}) == 4  # four distinct looks
    assert "legend" in src and "parameter</td>" in src


def test_gradients_edge_colours_and_edge_labels_after_backward():
    y, x, w, b = small()
    y.backward(update=False)
    before = (x.value, w.value, b.value)
    d = draw(y, edge_labels=True)
    src = d.source
    assert (x.value, w.value, b.value) == before
    assert f"grad {fmt(w.gradient)}" in node_line(src, "n0")  # dy/dw = x = 2
    assert w.gradient == 2.0 and x.gradient == 3.0
    w_edge = [ln for ln in src.splitlines() if "n0 -> n2" in ln][0]
    assert "local 2" in w_edge and "1 × 2 = 2" in w_edge and "tp_pos" in w_edge
    x_edge = [ln for ln in src.splitlines() if "n1 -> n2" in ln][0]
    widths = [float(re.search(r"penwidth=([\d.]+)", ln).group(1)) for ln in (w_edge, x_edge)]
    assert widths[1] > widths[0]  # |3| draws wider than |2|


def test_negative_gradient_is_orange_and_marked_negative():
    x = tp.Input(2.0, name="x")
    w = tp.Parameter(-4.0, name="w")
    y = tp.Multiply(w, x)
    y.backward(update=False)
    src = draw(y).source
    x_edge = [ln for ln in src.splitlines() if "n1 -> n2" in ln][0]
    assert "tp_neg" in x_edge and "#d95f02" in x_edge


def test_stale_gradients_are_marked():
    y, x, w, b = small()
    y.backward(update=False)
    assert "stale" not in draw(y, legend=False).source
    x.value = 5.0
    src = draw(y).source
    for nid in ("n0", "n1", "n2", "n4"):
        assert "(stale)" in node_line(src, nid) and "tp_stale" in node_line(src, nid)
    assert "value 14" in node_line(src, "n4")  # the value itself is current
    assert tp.gradient_is_stale(y)


def test_shared_node_drawn_once_with_two_edges():
    a = tp.Parameter(1.5, name="a")
    b = a + a
    c = b + b
    src = draw(c).source
    ids = re.findall(r"^\s*(n\d+) \[", src, re.M)
    assert ids == ["n0", "n1", "n2"]
    assert edges(src) == [("n0", "n1"), ("n0", "n1"), ("n1", "n2"), ("n1", "n2")]
    assert "value 6" in node_line(src, "n2")


def test_macros_collapsed_and_expanded():
    tp.seed(0)
    x = [tp.Input(1.0, name="p"), tp.Input(-1.0, name="q")]
    layer = tp.Linear(x, 1, name="lin")
    model = tp.Sigmoid(layer)
    expanded = draw(model).source
    collapsed = draw(model, collapse_macros=True).source
    # expanded: two inputs, 3 parameters, 2 products, the sum, the macro node, sigmoid
    assert len(re.findall(r"^\s*n\d+ \[", expanded, re.M)) == 10
    assert "subgraph cluster_0" in expanded and "lin: Linear 2→1" in expanded
    boxes = re.findall(r"^\s*(n\d+) \[.*", collapsed, re.M)
    assert len(boxes) == 4  # p, q, the Linear box, sigmoid
    box = [ln for ln in collapsed.splitlines() if "tp_macro" in ln][0]
    assert "lin: Linear 2→1 (6 nodes)" in box
    assert f"value {fmt(layer.forward())}" in box


def test_mlp_2_16_16_1_stays_readable():
    tp.seed(1)
    mlp = tp.MLP([2, 16, 16, 1])
    d = draw(mlp)
    assert len(d.view.nodes) < 60  # layers drawn as boxes
    assert "layers drawn as boxes" in d.source
    full = draw(mlp, max_nodes=None)
    assert len(full.view.nodes) == len(tp.postorder(mlp))
    one = draw(mlp, collapse_macros=True)
    assert [nv.kind for nv in one.view.nodes] == ["input", "input", "macro"]


def test_drawing_does_not_train_or_compute_gradients():
    tp.seed(2)
    mlp = tp.MLP([2, 3, 1])
    params = tp.parameters(mlp)
    before = [p.value for p in params]
    draw(mlp, edge_labels=True)
    text_tree(mlp)
    assert [p.value for p in params] == before
    assert all(p.gradient is None for p in params)


def test_error_values_are_shown_not_raised():
    x = tp.Input(-1.0, name="x")
    y = tp.Add(tp.Log(x), 1.0)
    src = draw(y).source
    assert "error:" in node_line(src, "n1") and "tp_error" in node_line(src, "n1")


def test_text_tree_shows_structure_and_shared_nodes():
    a = tp.Input(2.0, name="a")
    b = a * a
    text = text_tree(b + b)
    lines = text.splitlines()
    assert lines[0].startswith("[n2] Add")
    assert lines[1].startswith("├── [n1] Multiply")
    assert "(shared, see above)" in lines[-1]
    assert "value 8" in lines[0]


def test_text_tree_handles_deep_chains():
    x = tp.Input(1.0, name="x")
    node = x
    for _ in range(3000):
        node = node + 1.0
    node.compile()
    text = text_tree(node)
    assert text.splitlines()[0].startswith("[n6000] Add")
    assert "value 3001" in text.splitlines()[0]


def test_svg_has_stable_ids_and_classes():
    require_program("dot", "graphviz")
    y, x, w, b = small()
    svg = draw(y).svg()
    assert 'id="tp_n0"' in svg and 'class="node tp_node tp_parameter"' in svg
    assert "value &#45;1" in svg  # graphviz escapes '-' in SVG text


def test_fallback_without_dot_is_text_and_a_hint(tmp_path):
    code = (
        "import treeprop as tp\n"
        "from treeprop.viz import draw\n"
        "x = tp.Input(2.0, name='x')\n"
        "d = draw(x * 3.0)\n"
        "b = d._repr_mimebundle_()\n"
        "print(sorted(b))\n"
        "print(b['text/plain'])\n"
        "print(repr(d.svg()))\n"
        "from treeprop.viz.widgets import svg_markup\n"
        "print(svg_markup(d).splitlines()[0])\n"
    )
    env = dict(os.environ, PATH=str(tmp_path))  # a PATH without dot
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    lines = out.stdout.splitlines()
    assert lines[0] == "['text/plain']"
    assert lines[1].startswith("[n2] Multiply")
    assert "x (input)  value 2" in out.stdout
    hint = [ln for ln in lines[:-1] if "graphviz" in ln]
    assert len(hint) == 1 and "install" in hint[0]
    assert lines[-2] == "''"
    # the widgets show the text tree in their HTML instead of an SVG
    assert lines[-1].startswith('<pre class="tp-text-tree">[n2] Multiply')


@pytest.mark.parametrize("bad", ["middle", 3])
def test_collapse_macros_rejects_unknown_levels(bad):
    model = tp.MLP([2, 2, 1])
    with pytest.raises(ValueError, match="collapse_macros"):
        draw(model, collapse_macros=bad)


def test_list_valued_outputs_and_merged_edges():
    tp.seed(7)
    mlp = tp.MLP([2, 2, 3], output="softmax").compile()
    mlp.predict([0.5, -0.3])
    mlp.backward(tp.cce_grad(0, mlp.forward()), update=False)
    src = draw(mlp, edge_labels=True).source
    root = node_line(src, f"n{len(tp.postorder(mlp)) - 1}")
    probs = mlp.forward()
    assert f"value {fmt(probs)}" in root and "grad [" in root
    assert "tp_output" in src  # the Softmax node has its own look
    one = draw(mlp, collapse_macros=True, edge_labels=True).source
    x0 = mlp.arguments[0]
    edge = [ln for ln in one.splitlines() if ln.strip().startswith("n") and "->" in ln][0]
    # x0 feeds both hidden units: one arrow carrying the sum, which is x0's gradient
    assert f"sends {fmt(x0.gradient)}" in edge and "2 edges" in edge and "_all" in edge
    assert x0.gradient != 0
    layer = tp.Linear([tp.Input(1.0, name="a"), tp.Input(2.0, name="b")], 2, name="L")
    merged = draw(tp.Add(list(layer)), collapse_macros=True, edge_labels=True).source
    assert merged.count("2 edges") == 3 and "tp_e_n1_n13_all" in merged

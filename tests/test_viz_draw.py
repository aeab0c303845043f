"""treeprop.viz.draw: the DOT source of known trees, and the text fallback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

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


def _first_outline(ops: list[dict]) -> tuple[str, list]:
    """The node's outline from graphviz's JSON drawing ops: a polygon or an ellipse."""
    for op in ops:
        if op["op"] in ("P", "p", "B", "b"):
            return "polygon", op["points"]
        if op["op"] in ("E", "e"):
            return "ellipse", op["rect"]
    raise AssertionError(f"no outline in {ops}")


def _inside_polygon(points: list, x: float, y: float) -> float:
    """Distance of (x, y) from the nearest side of a convex polygon; negative outside."""
    n = len(points)
    area = sum(points[i][0] * points[(i + 1) % n][1] - points[(i + 1) % n][0] * points[i][1]
               for i in range(n))
    sign = 1.0 if area > 0 else -1.0
    best = float("inf")
    for i in range(n):
        (x1, y1), (x2, y2) = points[i], points[(i + 1) % n]
        length = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
        if length > 1e-9:
            best = min(best, sign * ((x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)) / length)
    return best


def label_clearances(drawing) -> list[tuple[str, str, float]]:
    """(node, text line, points between that line's box and the node's outline).

    Read from graphviz's own layout (``-Tjson``): where it put each text line, how wide
    it measured it, and the outline it drew. A line's box is its width by the font
    size (a quarter below the baseline, three quarters above).
    """
    import json

    out = []
    for obj in json.loads(drawing.pipe(format="json", quiet=True))["objects"]:
        if obj.get("name", "").startswith("cluster") or obj.get("shape") == "plaintext" \
                or "_draw_" not in obj or "_ldraw_" not in obj:
            continue
        kind, outline = _first_outline(obj["_draw_"])
        size = 14.0
        for op in obj["_ldraw_"]:
            if op["op"] == "F":
                size = op["size"]
            if op["op"] != "T":
                continue
            (x, y), w = op["pt"], op["width"]
            left = {"c": x - w / 2, "l": x, "r": x - w}[op["align"]]
            corners = [(cx, cy) for cx in (left, left + w)
                       for cy in (y - 0.25 * size, y + 0.75 * size)]
            if kind == "ellipse":
                ex, ey, rx, ry = outline
                gap = min(min(rx, ry) * (1 - (((px - ex) / rx) ** 2 + ((py - ey) / ry) ** 2)
                                         ** 0.5) for px, py in corners)
            elif obj.get("shape") == "hexagon":
                gap = min(_inside_polygon(outline, px, py) for px, py in corners)
            else:  # boxes (rounded ones are drawn as curves): their bounding box
                xs, ys = [p[0] for p in outline], [p[1] for p in outline]
                gap = min(min(px - min(xs), max(xs) - px, py - min(ys), max(ys) - py)
                          for px, py in corners)
            out.append((obj["name"], op["text"], gap))
    return out


def _sample_drawings():
    from treeprop.viz import draw_network

    tp.seed(2)
    soft = tp.MLP([2, 3, 2], output="softmax")
    soft.backward(tp.cce_grad(0, soft.forward()), update=False)
    x = tp.Input(1.0, name="x")
    broken = tp.Add(tp.Log(tp.Multiply(x, -1.0)), 2.0)
    return [draw(soft, edge_labels=True, title="a title"), draw(soft, collapse_macros=True),
            draw(tp.MLP([2, 16, 16, 1])), draw(broken), draw_network(tp.MLP([2, 4, 4, 1]))]


def test_labels_keep_clear_of_their_outlines():
    require_program("dot", "graphviz")
    for drawing in _sample_drawings():
        gaps = label_clearances(drawing)
        assert len(gaps) > 5
        tight = [g for g in gaps if g[2] < 4.0]  # points: about 1.4 mm on paper
        assert not tight, f"labels touching their box: {tight[:5]}"
    kinds = {nv.kind for d in _sample_drawings()[:4] for nv in d.view.nodes}
    assert {"input", "parameter", "operation", "output", "macro", "constant"} <= kinds


def test_one_font_for_node_edge_frame_and_legend_labels():
    require_program("dot", "graphviz")
    for drawing in _sample_drawings():
        svg = drawing.svg()
        fonts = set(re.findall(r'font-family="([^"]*)"', svg))
        assert fonts == {"Helvetica,sans-Serif"}, fonts
    labelled = _sample_drawings()[0].svg()
    assert re.search(r'<g id="tp_e_[^"]*" class="edge[^"]*">.*?<text[^>]*font-family='
                     r'"Helvetica,sans-Serif"[^>]*>[^<]*local', labelled, re.S)


def test_labels_of_parallel_edges_keep_apart_in_a_wider_browser_font():
    """A node used twice by one parent (notebook 08) draws two edges side by side. dot sizes
    their labels with Helvetica's widths; a browser without Helvetica falls back to DejaVu
    Sans (as Chromium does here), which is wider. The labels must not touch even then."""
    require_program("dot", "graphviz")
    import json

    import matplotlib
    from PIL import ImageFont

    font = ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf"
                                  / "DejaVuSans.ttf"), size=90)  # 10x: sub-point widths

    def width_pt(text: str, size_pt: float) -> float:
        return font.getlength(text) / 90 * size_pt

    a = tp.Parameter(1.0, name="a")
    b = tp.Add(a, a, name="b")
    c = tp.Add(b, b, name="c")
    c.backward(update=False)
    layout = json.loads(subprocess.run(["dot", "-Tjson"], input=draw(c, edge_labels=True)
                                       .source.encode(), capture_output=True,
                                       check=True).stdout)
    labels = []
    for edge in layout["edges"]:
        x, y = (float(v) for v in edge["lp"].split(","))
        lines = edge["label"].split("\\n")
        half = max(width_pt(line.strip(), float(edge["fontsize"])) for line in lines) / 2
        labels.append((round(y), x - half, x + half, edge["label"]))
    pairs = [(p, q) for i, p in enumerate(labels) for q in labels[i + 1:] if p[0] == q[0]]
    assert len(pairs) == 2  # two ranks, each with two parallel edges
    for p, q in pairs:
        left, right = sorted((p, q), key=lambda item: item[1])
        assert right[1] - left[2] >= 4.0, f"labels touch: {left[3]!r} / {right[3]!r}"


def test_jupyter_gets_html_that_fits_the_width_and_the_text_tree():
    require_program("dot", "graphviz")
    from treeprop.viz.draw import WIDE_PX, fit_markup, svg_width_px

    tp.seed(2)
    wide = draw(tp.MLP([2, 3, 1]))
    bundle = wide._repr_mimebundle_()
    assert sorted(bundle) == ["text/html", "text/plain"]  # no second copy of the SVG
    assert "image/svg+xml" in wide._repr_mimebundle_(include=["image/svg+xml"])
    page = bundle["text/html"]
    svg = wide.svg()
    assert svg_width_px(svg) > 1.5 * 968  # wider than JupyterLab's output at 1400 px
    key = re.search(r'class="tp-fit (tp-fit-[0-9a-f]{12}) tp-wide"', page).group(1)
    assert f".{key}>.tp-svg>svg{{max-width:100%;height:auto}}" in page
    assert f".{key}>.tp-svg.tp-zoomed>svg{{max-width:none" in page
    assert "onclick=" in page and "tp-zoomed" in page and 'title="click: full size' in page
    # the drawing is hidden until its own style shows it; the text tree is the fallback
    assert re.search(r'<div class="tp-svg" hidden="hidden"[^>]*><svg ', page)
    assert f'<pre class="tp-text">{html_escape(wide.text)}' in page
    assert f".{key}>.tp-text{{display:none!important}}" in page
    tp.seed(2)
    assert draw(tp.MLP([2, 3, 1]))._repr_mimebundle_()["text/html"] == page  # stable key
    small = fit_markup(draw(tp.Input(1.0, name="x") * 2.0).svg())
    assert re.match(r'<div class="tp-fit tp-fit-[0-9a-f]{12}">', small) and "title=" not in small
    assert svg_width_px(small) < WIDE_PX


def html_escape(text: str) -> str:
    import html

    return html.escape(text)

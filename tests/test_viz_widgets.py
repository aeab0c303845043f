"""explore() and step_through(): set a widget's value, read the new drawing."""

from __future__ import annotations

import asyncio
import html
import math
import re

import pytest
from conftest import require_program

import treeprop as tp
from treeprop.viz import explore, step_through
from treeprop.viz.model import fmt
from treeprop.viz.widgets import Debouncer, backward_steps


def svg_texts(markup: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", markup)]


def node_texts(markup: str, nid: str) -> list[str]:
    m = re.search(rf'<g id="tp_{nid}" class="node[^"]*">(.*?)</g>', markup, re.S)
    assert m, f"{nid} not in the drawing"
    return svg_texts(m.group(1))


def model():
    x = tp.Input(2.0, name="x")
    w = tp.Parameter(3.0, name="w")
    b = tp.Parameter(-1.0, name="b")
    return tp.Add(tp.Multiply(w, x), b), x, w, b


@pytest.fixture(autouse=True)
def _dot():
    require_program("dot", "graphviz")


def test_explore_has_a_slider_per_input_and_parameter():
    y, x, w, b = model()
    ex = explore(y)
    assert list(ex.sliders) == ["x", "w", "b"]
    assert [s.value for s in ex.sliders.values()] == [2.0, 3.0, -1.0]
    assert "tp-explore" in ex._dom_classes
    assert "tp-slider-x" in ex.sliders["x"]._dom_classes


def test_moving_a_slider_changes_the_leaf_and_the_drawing():
    y, x, w, b = model()
    ex = explore(y)
    assert node_texts(ex.drawing.value, "n4")[:2] == ["Add +", "value 5"]
    ex.set("x", 4.0)
    assert x.value == 4.0
    assert node_texts(ex.drawing.value, "n4")[:2] == ["Add +", f"value {fmt(y.forward())}"]
    assert y.forward() == 11.0
    # gradients are fresh after the redraw: dy/dw = x = 4
    assert node_texts(ex.drawing.value, "n0") == ["w", "value 3", "grad 4"]
    ex.set("w", -0.5)
    assert node_texts(ex.drawing.value, "n4")[1] == "value -3"
    assert "output <b>-3</b>" in ex.status.value


def test_choosing_a_loss_shows_loss_gradients():
    y, x, w, b = model()
    ex = explore(y, loss="MSE", target=1.0)
    # loss = (1 - 5)^2 = 16, dL/dp = -2 (1 - 5) = 8, dL/dw = 8 x = 16
    assert "MSE loss <b>16</b>" in ex.status.value
    assert node_texts(ex.drawing.value, "n0")[2] == "grad 16"
    ex.target.value = 5.0
    assert "MSE loss <b>0</b>" in ex.status.value
    assert node_texts(ex.drawing.value, "n0")[2] == "grad 0"
    ex.loss.value = "none"
    assert node_texts(ex.drawing.value, "n0")[2] == "grad 2"


def test_explore_never_trains():
    tp.seed(3)
    mlp = tp.MLP([2, 3, 1], output="sigmoid")
    before = [p.value for p in tp.parameters(mlp)]
    ex = explore(mlp, loss="BCE", target=1.0)
    ex.set("x0", 0.7)
    assert [p.value for p in tp.parameters(mlp)] == before
    with pytest.raises(ValueError, match="loss must be one of"):
        explore(mlp, loss="CCE")


def test_explore_reports_errors_instead_of_raising():
    x = tp.Input(1.0, name="x")
    y = tp.Log(x)
    ex = explore(y)
    ex.set("x", -1.0)
    assert "tp-error" in ex.status.value
    assert any(t.startswith("error:") for t in svg_texts(ex.drawing.value))


def test_debouncer_runs_first_call_at_once_and_collapses_a_burst():
    calls = []

    async def burst():
        d = Debouncer(lambda: calls.append(len(calls)), wait=0.05)
        for _ in range(10):
            d()
        assert len(calls) == 1  # the first ran at once, the rest wait
        await asyncio.sleep(0.2)
        return d

    d = asyncio.run(burst())
    assert len(calls) == 2 and d.runs == 2  # one trailing run for nine calls


def test_backward_steps_match_backward():
    y, x, w, b = model()
    steps = backward_steps(y, 1.0)
    assert [s.id for s in steps][0] == "n4"
    got = {id(s.node): s.incoming for s in steps}
    assert w.gradient is None  # computing the steps leaves the model alone
    y.backward(update=False)
    for node in tp.postorder(y):
        assert got[id(node)] == node.gradient


def test_step_through_shows_each_step():
    y, x, w, b = model()
    st = step_through(y, [1.0], target=2.0)
    # inputs given as a list: x = 1, so the prediction is 3 * 1 - 1 = 2
    assert "prediction 2" in st.explanation.value
    st2 = step_through(y, {"x": 2.0}, target=1.0)
    seed = tp.mse_grad(1.0, 5.0)
    assert f"d(loss)/d(prediction) = {fmt(seed)}" in st2.explanation.value
    assert not any(t.startswith("grad") for t in svg_texts(st2.drawing.value))
    st2.forward()
    assert st2.step.value == 1
    assert "step 1 of 5: Add + receives d = 8" in st2.explanation.value
    assert 'class="node tp_node tp_operation tp_has_grad tp_highlight"' in st2.drawing.value
    assert node_texts(st2.drawing.value, "n4")[-1] == "grad 8"
    for _ in range(len(st2.steps)):
        st2.forward()
    assert st2.step.value == len(st2.steps)
    # at the end every node shows the gradient backward would give
    y.backward(tp.mse_grad(1.0, y.forward()), update=False)
    assert node_texts(st2.drawing.value, "n0")[-1] == f"grad {fmt(w.gradient)}"
    st2.back()
    assert st2.step.value == len(st2.steps) - 1
    assert w.value == 3.0 and b.value == -1.0


def test_browser_moves_are_debounced_code_moves_are_not():
    y, x, w, b = model()
    ex = explore(y, debounce=0.2)

    async def drag():
        ex.sliders["x"].set_state({"value": 1.0})  # as a message from the browser
        first = ex.debouncer.runs
        ex.sliders["x"].set_state({"value": 1.5})
        ex.sliders["x"].set_state({"value": 2.5})
        assert ex.debouncer.runs == first  # waiting for the drag to settle
        assert ex.debouncer.pending is not None
        await asyncio.sleep(0.4)
        return first

    first = asyncio.run(drag())
    assert ex.debouncer.runs == first + 1
    assert x.value == 2.5
    assert node_texts(ex.drawing.value, "n4")[1] == f"value {fmt(y.forward())}"
    runs = ex.debouncer.runs
    ex.sliders["x"].value = 0.5  # code: redrawn at once, every time
    ex.sliders["x"].value = 0.25
    assert ex.debouncer.runs == runs + 2
    assert node_texts(ex.drawing.value, "n4")[1] == "value -0.25"


def test_sliders_follow_leaves_changed_by_code():
    y, x, w, b = model()
    ex = explore(y)
    x.value = 7.5  # outside the slider's range
    ex.redraw()
    assert ex.sliders["x"].value == 7.5 and ex.sliders["x"].max >= 7.5
    assert node_texts(ex.drawing.value, "n4")[1] == "value 21.5"


def test_jupyterlab_sees_the_widgets_extension():
    """ipywidgets 8 renders in JupyterLab 4 only with jupyterlab_widgets 3 installed
    where the lab of this environment looks for prebuilt extensions."""
    import json
    import sys
    from pathlib import Path

    import ipywidgets
    import jupyterlab_widgets

    assert ipywidgets.__version__.startswith("8.")
    assert jupyterlab_widgets.__version__.startswith("3.")
    package = (Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "@jupyter-widgets"
               / "jupyterlab-manager" / "package.json")
    assert package.is_file(), f"{package} missing: pip install jupyterlab_widgets"
    meta = json.loads(package.read_text())
    assert meta["name"] == "@jupyter-widgets/jupyterlab-manager"
    assert meta["jupyterlab"]["_build"]["load"]  # a prebuilt extension lab can load


def test_step_through_a_softmax_classifier_matches_backward():
    tp.seed(6)
    mlp = tp.MLP([2, 3, 3], output="softmax").compile()
    st = step_through(mlp, [0.1, -0.4], target=2, loss=tp.CCE)
    assert "receives d = [" in st.steps[0].describe()  # a list of derivatives at the root
    st.step.value = len(st.steps)
    mlp.backward(tp.cce_grad(2, mlp.forward()), update=False)
    for s in st.steps:
        assert s.incoming == pytest.approx(s.node.gradient, abs=1e-12)
    assert all(t != "error" for t in svg_texts(st.drawing.value))


def all_widgets(root):
    """The widget and everything inside it (boxes' children, depth first)."""
    out, stack = [], [root]
    while stack:
        w = stack.pop()
        out.append(w)
        stack.extend(getattr(w, "children", ()))
    return out


def test_every_control_has_a_tooltip():
    import ipywidgets as widgets

    y, x, w, b = model()
    for shown in (explore(y), step_through(y, [1.0], target=2.0)):
        controls = [c for c in all_widgets(shown)
                    if isinstance(c, (widgets.Button, widgets.ToggleButton, widgets.Play,
                                      widgets.FloatSlider, widgets.IntSlider, widgets.Dropdown,
                                      widgets.FloatText, widgets.Checkbox))]
        assert len(controls) >= 4
        bare = [c.description for c in controls if not (c.tooltip or "").strip()]
        assert not bare, f"no tooltip on {bare}"
    st = step_through(y, [1.0], target=2.0)
    assert "one step" in st.next_button.tooltip and "back" in st.back_button.tooltip
    assert "play" in st.play.tooltip


def test_step_through_after_an_explore_slider_moved_shows_no_old_gradients():
    """The demo notebook's sequence: explore and step_through on one model, the
    step-through left at step 2, then an explore slider moves and the user steps on.
    Every value and gradient drawn must belong to the new inputs."""
    x = tp.Input(0.5, name="x")
    w = tp.Parameter(0.8, name="w")
    b = tp.Parameter(-0.2, name="b")
    y = tp.Tanh(w * x + b)
    ex = explore(y, loss="MSE", target=0.5)
    ex.sliders["x"].value = 1.5
    ex.sliders["w"].value = -0.4
    st = step_through(y, target=1.0)
    st.step.value = 2
    assert "recomputed" not in st.explanation.value
    w.value = math.nextafter(-0.4, 0.0)  # a browser slider writing back its own rounding
    ex.sliders["x"].set_state({"value": 3.0})  # as the browser moves it
    assert x.value == 3.0
    st.forward()
    # what a fresh backward pass at x = 3 gives
    fresh = tp.Tanh(tp.Parameter(-0.4) * tp.Input(3.0) + tp.Parameter(-0.2))
    fresh.backward(tp.mse_grad(1.0, fresh.forward()), update=False)
    want = {f"n{i}": (n.forward(), n.gradient) for i, n in enumerate(tp.postorder(fresh))}
    shown = 0
    for nid, (value, grad) in want.items():
        texts = node_texts(st.drawing.value, nid)
        assert f"value {fmt(value)}" in texts
        grads = [t for t in texts if t.startswith("grad")]
        if grads:  # the nodes the first three steps reached
            assert grads == [f"grad {fmt(grad)}"], (nid, texts)
            shown += 1
    assert shown == 3
    # named: the leaf whose shown value changed, not the one written back unchanged
    assert "recomputed</b>: x = 3 changed" in st.explanation.value
    assert f"prediction {fmt(fresh.forward())}" in st.start_text
    assert "stale" not in st.drawing.value
    st.forward()  # nothing moved since: no note
    assert "recomputed" not in st.explanation.value


def test_gradients_given_to_a_drawing_go_stale_when_a_leaf_moves():
    from treeprop.clock import now
    from treeprop.viz import draw
    from treeprop.viz.model import describe

    y, x, w, b = model()
    grads = {id(s.node): s.incoming for s in backward_steps(y, 1.0)}
    tick = now()
    fresh = describe(y, gradient_of=grads, gradient_tick=tick)
    assert not any(nv.stale for nv in fresh.nodes)
    x.value = 4.0
    old = describe(y, gradient_of=grads, gradient_tick=tick)
    assert all(nv.stale for nv in old.nodes if nv.gradient is not None)
    src = draw(y, view=old).source
    assert src.count("(stale)") == 5 and "tp_stale" in src


def test_step_text_names_only_what_the_drawing_shows():
    """Two products, two unnamed weights: the text names each node by its box's first
    line, and where two boxes would read alike both carry the same [n..] tag."""
    tp.seed(1)
    xs = [tp.Input(0.5, name="x0"), tp.Input(-1.0, name="x1")]
    model = tp.Sigmoid(tp.Linear(xs, 1))
    st = step_through(model, target=1.0)
    for k in range(1, len(st.steps) + 1):
        st.step.value = k
        text = html.unescape(st.explanation.value)
        svg = st.drawing.value
        headings = {re.sub(r" \(\d+ nodes\)$", "", node_texts(svg, f"n{i}")[0])
                    for i in range(len(tp.postorder(model)))}
        step = st.steps[k - 1]
        said = [text.split(": ", 1)[1].split(" receives")[0]]
        said += [part.split("to ", 1)[1].rsplit(": ", 1)[0]
                 for part in text.split("; ")[1:]]
        assert len(said) == 1 + len(step.sends)
        assert set(said) <= headings, (said, headings)
        for tag in re.findall(r"\[n\d+\]", text):
            assert any(h.endswith(tag) for h in headings)
        assert not re.search(r"(?<!\[)\bn\d+\b", text)  # no bare ids
    assert "Multiply × [n2]" in headings and "Multiply × [n5]" in headings
    assert "Sigmoid σ" in headings  # unique: no tag


def test_a_loss_outside_its_domain_is_called_out_in_the_widget():
    y, x, w, b = model()  # a plain linear output: 3 * 2 - 1 = 5
    ex = explore(y, loss="BCE", target=0.0)
    assert "BCE loss <b>18.42</b>" in ex.status.value  # the clamp's number...
    assert 'class="tp-warning"' in ex.status.value  # ...is not left without a word
    assert "output is 5" in ex.warning and "Sigmoid" in ex.warning
    ex.set("w", 0.6)  # output 0.2: a probability, a meaningful loss
    assert ex.warning is None and "tp-warning" not in ex.status.value
    ex.set("w", -1.0)  # output -3
    assert "output is -3" in ex.warning
    ex.loss.value = "MSE"  # any output is fine for squared error
    assert ex.warning is None and "tp-warning" not in ex.status.value

    s = tp.Sigmoid(tp.Add(tp.Multiply(tp.Parameter(0.5, name="v"), tp.Input(1.0, name="u")),
                          tp.Parameter(0.0, name="c")))
    ok = explore(s, loss="BCE", target=1.0)
    assert ok.warning is None
    ok.target.value = 2.0  # a target outside [0, 1]: the loss goes negative
    loss = tp.BCE(2.0, s.forward())
    assert loss < 0 and f"BCE loss <b>{fmt(loss)}</b>" in ok.status.value
    assert "target between 0 and 1" in ok.warning and "tp-warning" in ok.status.value

    tp.seed(3)
    raw = tp.MLP([2, 3, 3])  # three raw outputs, no softmax
    cce = explore(raw, loss="CCE", target=1)
    assert "add up to 1" in cce.warning and "Softmax" in cce.warning
    soft = explore(tp.MLP([2, 3, 3], output="softmax"), loss="CCE", target=1)
    assert soft.warning is None


def test_step_through_warns_too():
    y, x, w, b = model()
    st = step_through(y, target=0.0, loss=tp.BCE)
    assert "tp-warning" in st.explanation.value and "output is 5" in st.explanation.value
    assert "tp-warning" not in step_through(y, target=0.0).explanation.value  # MSE


def test_every_slider_name_heads_a_box_in_the_explorer_drawing():
    tp.seed(3)
    mlp = tp.MLP([2, 2, 1])  # unnamed parameters: sliders w0, w1, ...
    twin = tp.Add(tp.Input(1.0, name="x"), tp.Input(2.0, name="x"))  # one name twice
    for model in (mlp, twin):
        ex = explore(model)
        heads = {node_texts(ex.drawing.value, f"n{i}")[0]
                 for i in range(len(tp.postorder(model)))}
        assert set(ex.sliders) <= heads, (set(ex.sliders) - heads, heads)
    assert "x_n1" in ex.sliders and "x_n1" in heads
    assert all(p.name is None for p in tp.parameters(mlp))  # the model is not renamed

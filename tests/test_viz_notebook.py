"""The demo notebook runs under nbclient and its saved widget state is right."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from conftest import require_program

import treeprop as tp
from treeprop.viz.model import fmt

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "extras" / "viz_demo.ipynb"


def widget_states(nb) -> dict:
    return nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]


def with_class(states: dict, css: str) -> list[dict]:
    return [s["state"] for s in states.values() if css in s["state"].get("_dom_classes", [])]


def inside(states: dict, outer: str, css: str) -> dict:
    """The one widget with class ``css`` among the children of the ``outer`` widget."""
    (box,) = with_class(states, outer)
    kids = [states[ref.removeprefix("IPY_MODEL_")]["state"] for ref in box["children"]]
    (found,) = [k for k in kids if css in k.get("_dom_classes", [])]
    return found


def node_texts(svg: str, nid: str) -> list[str]:
    m = re.search(rf'<g id="tp_{nid}" class="node[^"]*">(.*?)</g>', svg, re.S)
    assert m, f"{nid} not drawn"
    return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", m.group(1))]


@pytest.mark.notebooks
@pytest.mark.slow
def test_demo_notebook_runs_and_keeps_widget_state(tmp_path):
    require_program("dot", "graphviz")
    import nbclient
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), \
        "commit the demo notebook with its outputs cleared"
    client = nbclient.NotebookClient(nb, kernel_name="python3", store_widget_state=True,
                                     timeout=300, resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.output_type != "error", out
            assert not (out.output_type == "stream" and out.name == "stderr"), out.text

    states = widget_states(nb)
    sliders = {s["description"]: s["value"] for s in with_class(states, "tp-slider")}
    assert sliders == {"x": 1.5, "w": -0.4, "b": -0.2}  # as the code left them

    # the explorer's drawing shows the values for the sliders' new positions
    x, w, b = tp.Input(1.5, name="x"), tp.Parameter(-0.4, name="w"), tp.Parameter(-0.2)
    y = tp.Tanh(w * x + b)
    y.backward(tp.mse_grad(0.5, y.forward()), update=False)
    assert len(with_class(states, "tp-drawing")) == 2  # the explorer's and the step-through's
    explorer_svg = inside(states, "tp-explore", "tp-drawing")["value"]
    assert node_texts(explorer_svg, "n5") == ["Tanh", f"value {fmt(y.forward())}",
                                              f"grad {fmt(y.gradient)}"]
    assert node_texts(explorer_svg, "n0")[2] == f"grad {fmt(w.gradient)}"
    (status,) = with_class(states, "tp-status")
    assert f"output <b>{fmt(y.forward())}</b>" in status["value"]

    # the step-through is at step 2: the Add node just received its derivative
    (explanation,) = with_class(states, "tp-explanation")
    assert explanation["value"].startswith("step 2 of 6: Add + receives")
    (step,) = with_class(states, "tp-step")
    assert step["value"] == 2

    # the playground trained three epochs and exported its settings
    (pg_status,) = with_class(states, "tp-pg-status")
    assert "epoch <b>3</b>" in pg_status["value"]
    (settings,) = with_class(states, "tp-pg-settings")
    assert '"dataset": "xor"' in settings["value"] and '"hidden": [4]' in settings["value"]
    (progress,) = with_class(states, "tp-pg-progress")
    assert progress["value"] == 3 and progress["max"] == 2000  # 3 epochs of play's 2000
    (rate,) = with_class(states, "tp-pg-rate")
    assert re.fullmatch(r"3 / 2000 epochs · [\d.]+ epochs/s", rate["value"]), rate["value"]

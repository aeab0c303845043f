"""The playground and the network drawing, driven through their methods."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from conftest import require_program

import treeprop as tp
from treeprop.viz import draw_network, playground
from treeprop.viz.network import _weights, linear_layers
from treeprop.viz.playground import grid_values, parse_hidden


@pytest.fixture(autouse=True)
def _dot():
    require_program("dot", "graphviz")


def small(**kw):
    return playground(samples=60, grid=12, **kw)


def test_network_edges_carry_weights_as_colour_and_width():
    tp.seed(4)
    mlp = tp.MLP([2, 3, 1], "tanh")
    layers = linear_layers(mlp)
    assert [(len(m.arguments), m.outputs) for m in layers] == [(2, 3), (3, 1)]
    first = layers[0][0].children[0].children[0]  # unit 0, term 0: Multiply(w, x0)
    w = first if isinstance(first, tp.Parameter) else None
    assert w is not None
    src = draw_network(mlp).source
    edges = re.findall(r"^\s*(\w+) -> (\w+) \[(.*)\]$", src, re.M)
    assert len(edges) == 2 * 3 + 3 * 1
    line = [attrs for a, b, attrs in edges if (a, b) == ("in0", "l1u0")][0]
    assert ("#2166ac" if w.value > 0 else "#d95f02") in line
    widths = [float(re.search(r"penwidth=([\d.]+)", attrs).group(1)) for *_, attrs in edges]
    weights = [abs(q.value) for layer in layers for u in layer for _s, q in _weights(u)[0]]
    assert len(weights) == 9
    width = float(re.search(r"penwidth=([\d.]+)", line).group(1))
    assert width == pytest.approx(0.4 + 4.0 * abs(w.value) / max(weights), abs=0.01)
    assert max(widths) == pytest.approx(0.4 + 4.0, abs=0.01)  # the largest weight
    w.value = -w.value
    flipped = [ln for ln in draw_network(mlp).source.splitlines() if "in0 -> l1u0" in ln][0]
    assert ("#d95f02" if w.value < 0 else "#2166ac") in flipped


def test_grid_values_match_predict():
    tp.seed(5)
    mlp = tp.MLP([2, 3, 3, 1], "relu", output="sigmoid").compile()
    gx, gy = np.meshgrid(np.linspace(-1, 1, 4), np.linspace(-1, 1, 3))
    z = grid_values(mlp, gx, gy)
    for i in range(3):
        for j in range(4):
            assert z[i, j] == pytest.approx(mlp.predict([gx[i, j], gy[i, j]]), abs=1e-12)


def test_parse_hidden():
    assert parse_hidden("4, 4") == [4, 4]
    assert parse_hidden("8") == [8]
    assert parse_hidden("") == []
    for bad in ("a", "0", "17", "1,1,1,1,1,1,1"):
        with pytest.raises(ValueError):
            parse_hidden(bad)


def test_playground_builds_from_settings_and_trains():
    pg = small(dataset="xor", hidden=[3], learning_rate=0.1)
    assert pg.model.sizes == [2, 3, 1]
    assert len(pg.train_data) == 42 and len(pg.test_data) == 18
    before = [p.value for p in tp.parameters(pg.model)]
    assert "epoch <b>0</b>" in pg.status.value
    pg.step()
    assert pg.epoch == 1 and len(pg.train_history) == 1
    assert [p.value for p in tp.parameters(pg.model)] != before
    pg.train(3)
    assert pg.epoch == 4 and pg.progress.value == 4 and pg.progress.max == 2000
    assert pg.train_history[-1] == pytest.approx(pg.losses()[0])
    assert pg.plots.value[:4] == b"\x89PNG"
    assert "tp_weight" in pg.network.value
    pg.reset()
    assert pg.epoch == 0 and pg.train_history == []
    assert [p.value for p in tp.parameters(pg.model)] == before  # the same seed


def test_settings_round_trip_through_json():
    pg = small(dataset="moons", hidden=[2, 2], activation="relu", noise=0.2)
    text = pg.export_settings()
    assert json.loads(text) == pg.settings() and pg.settings_text.value == text
    other = small()
    other.import_settings(text)
    assert other.settings() == pg.settings()
    assert other.model.sizes == [2, 2, 2, 1] and other.model.activation is tp.ReLU
    with pytest.raises(ValueError, match="unknown settings"):
        other.import_settings('{"colour": "red"}')
    with pytest.raises(ValueError, match="JSON"):
        other.import_settings("{not json")


def test_changing_a_control_resets_and_the_rate_applies_at_once():
    pg = small(hidden=[2])
    pg.step()
    pg.learning_rate.value = 0.5
    assert pg.epoch == 1  # the learning rate applies without a reset
    assert all(p.learning_rate == pytest.approx(0.5) for p in tp.parameters(pg.model))
    pg.hidden.value = "3, 2"
    assert pg.epoch == 0 and pg.model.sizes == [2, 3, 2, 1]
    pg.hidden.value = "lots"
    assert "tp-error" in pg.status.value and pg.model.sizes == [2, 3, 2, 1]


def test_play_without_an_event_loop_trains_one_frame():
    pg = playground(samples=40, grid=8, frame_epochs=2)
    pg.play.value = True
    assert pg.epoch == 2 and pg.play.value is False


def test_every_playground_control_has_a_tooltip():
    import ipywidgets as widgets

    pg = small()
    out, stack = [], [pg]
    while stack:
        w = stack.pop()
        out.append(w)
        stack.extend(getattr(w, "children", ()))
    controls = [w for w in out if isinstance(w, (widgets.Button, widgets.ToggleButton,
                                                  widgets.Dropdown, widgets.Text,
                                                  widgets.Textarea, widgets.FloatSlider,
                                                  widgets.FloatLogSlider))]
    assert len(controls) == 11
    bare = [w.description for w in controls if not (w.tooltip or "").strip()]
    assert not bare, f"no tooltip on {bare}"
    assert "one epoch" in pg.step_button.tooltip and "paused" in pg.play.tooltip


def test_progress_shows_epochs_done_of_the_total_and_the_measured_rate():
    import time

    pg = playground(samples=60, grid=8, max_epochs=50)
    assert pg.progress.value == 0 and pg.progress.max == 50
    assert pg.rate.value == "0 / 50 epochs"  # nothing measured yet
    seen = []
    pg.progress.observe(lambda c: seen.append(c["new"]), names="value")
    start = time.perf_counter()
    pg.train(12)
    outside = time.perf_counter() - start
    assert seen == list(range(1, 13))  # the bar moved after every epoch, not at the end
    assert pg.progress.value == 12 < pg.progress.max  # not full: 12 of 50
    rate = float(re.search(r"12 / 50 epochs · ([\d.]+) epochs/s$", pg.rate.value).group(1))
    # measured inside the call, so at least what the caller's clock gives
    assert rate == pytest.approx(12 / pg.train_seconds, rel=0.05, abs=0.05)
    assert 12 / outside <= pg.epochs_per_second <= 12 / pg.train_seconds * 1.0001
    pg.train(40)  # past the total: the bar is full only now, and says done
    assert pg.epoch == 52 and pg.progress.value == 50
    assert pg.rate.value.startswith("52 / 50 epochs") and pg.rate.value.endswith("done")
    pg.reset()
    assert pg.progress.value == 0 and pg.rate.value == "0 / 50 epochs"


def test_play_in_an_event_loop_fills_the_bar_frame_by_frame_and_stops_at_the_total():
    import asyncio

    pg = playground(samples=40, grid=8, frame_epochs=3, max_epochs=8)
    values = []
    pg.progress.observe(lambda c: values.append(c["new"]), names="value")

    async def play():
        pg.play.value = True
        for _ in range(400):
            await asyncio.sleep(0.05)
            if not pg.play.value:
                break

    asyncio.run(play())
    assert pg.play.value is False and pg.epoch == 8  # 3 + 3 + 2: never past the total
    assert values == list(range(1, 9))
    assert pg.progress.value == pg.progress.max == 8 and "done" in pg.rate.value
    assert "epochs/s" in pg.rate.value


@pytest.mark.parametrize("bad", [{"max_epochs": 0}, {"frame_epochs": -1}, {"max_epochs": 2.5}])
def test_playground_refuses_bad_epoch_counts(bad):
    with pytest.raises(ValueError, match="positive whole number"):
        playground(samples=20, grid=4, **bad)

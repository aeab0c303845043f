"""The demo notebook in real JupyterLab, driven by Playwright with the system Chromium.

Starts JupyterLab 4 headless on loopback (free port, no token, no browser),
opens a temporary copy of notebooks/extras/viz_demo.ipynb, runs all cells,
moves the explorer's x slider with the keyboard and checks that the drawn SVG
shows the newly computed value. Screenshots go to test-output/browser/.
"""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import pytest
from conftest import require_program
from labserver import browser_fixture, lab_server, open_notebook, run_all  # noqa: F401

from treeprop.viz.model import fmt

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "extras" / "viz_demo.ipynb"
OUTPUT = ROOT / "test-output" / "browser"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def readout(locator) -> float:
    """A slider's readout as a number (ipywidgets writes minus as U+2212)."""
    return float(locator.text_content().replace("\u2212", "-"))


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on 127.0.0.1 serving a copy of the demo notebook."""
    require_program("dot", "graphviz")
    root = tmp_path / "lab"
    root.mkdir()
    shutil.copy(NOTEBOOK, root / "viz_demo.ipynb")
    with lab_server(root, tmp_path) as url:
        yield url


def test_slider_moves_redraw_the_tree_in_jupyterlab(lab, browser):
    from playwright.sync_api import expect

    OUTPUT.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        open_notebook(page, lab, "viz_demo.ipynb")
        run_all(page)

        explorer = page.locator(".tp-explore").first
        explorer.wait_for(timeout=60_000)
        # the last cell trained the playground three epochs and exported its settings
        expect(page.locator(".tp-pg-status")).to_contain_text("epoch 3", timeout=180_000)
        expect(page.locator(".tp-pg-settings textarea")).to_have_value(
            re.compile('"dataset": "xor"'), timeout=30_000)

        root_value = explorer.locator(".tp-drawing svg g#tp_n5 text").nth(1)
        slider_readout = explorer.locator(".tp-slider-x .widget-readout")
        x_before = readout(slider_readout)
        assert x_before == 1.5  # where the notebook's code put it
        w, b = -0.4, -0.2
        expect(root_value).to_have_text(f"value {fmt(math.tanh(w * x_before + b))}")
        explorer.scroll_into_view_if_needed()
        page.screenshot(path=str(OUTPUT / "viz_demo_before.png"))

        handle = explorer.locator(".tp-slider-x .noUi-handle")
        handle.focus()
        for _ in range(5):
            page.keyboard.press("ArrowLeft")
        page.wait_for_timeout(300)
        x_after = readout(slider_readout)
        assert x_after < x_before
        expected = f"value {fmt(math.tanh(w * x_after + b))}"
        expect(root_value).to_have_text(expected, timeout=20_000)
        x_text = explorer.locator(".tp-drawing svg g#tp_n1 text").nth(1)
        expect(x_text).to_have_text(f"value {fmt(x_after)}")
        page.wait_for_timeout(500)
        explorer.screenshot(path=str(OUTPUT / "viz_demo_explorer.png"))
        page.screenshot(path=str(OUTPUT / "viz_demo_after.png"))

        # step-through: the notebook left it at step 2, before the explorer's x
        # moved; one click on "step" must recompute, not draw today's values
        # beside the old gradients (issue 13 saw Tanh -0.885 with x = 1.5's gradient)
        stepper = page.locator(".tp-step-through").first
        explanation = stepper.locator(".tp-explanation")
        expect(explanation).to_contain_text("step 2 of 6: Add + receives")
        stepper.locator(".tp-next").click()
        expect(explanation).to_contain_text("step 3 of 6: b receives", timeout=20_000)
        expect(explanation).to_contain_text(f"recomputed: x = {fmt(x_after)} changed")
        expect(stepper.locator(".tp_highlight")).to_have_count(1)
        p = math.tanh(w * x_after + b)
        tanh_box = stepper.locator(".tp-drawing svg g#tp_n5 text")
        expect(tanh_box.nth(1)).to_have_text(f"value {fmt(p)}")
        expect(tanh_box.nth(2)).to_have_text(f"grad {fmt(-2.0 * (1.0 - p))}")
        expect(stepper.locator(".tp_stale")).to_have_count(0)
        stepper.scroll_into_view_if_needed()
        stepper.screenshot(path=str(OUTPUT / "viz_demo_step_through.png"))

        # playground: play trains in the background until pause is pressed
        pg = page.locator(".tp-playground").first
        status = pg.locator(".tp-pg-status")
        expect(status).to_contain_text("epoch 3")
        pg.locator(".tp-pg-play").click()
        expect(status).to_contain_text(re.compile(r"epoch (8|9|\d\d+) "),
                                       timeout=60_000)
        pg.locator(".tp-pg-play").click()
        expect(pg.locator(".tp-pg-play")).to_contain_text("play", timeout=20_000)
        page.wait_for_timeout(1500)
        stopped = status.text_content()
        page.wait_for_timeout(1500)
        assert status.text_content() == stopped  # paused: no more epochs
        pg.scroll_into_view_if_needed()
        pg.screenshot(path=str(OUTPUT / "viz_demo_playground.png"))
    except Exception:
        page.screenshot(path=str(OUTPUT / "viz_demo_failure.png"))
        raise


WIDE_CELLS = [
    "import treeprop as tp\nfrom treeprop.viz import draw, explore, playground, step_through\n"
    "tp.seed(2)\nu, v = tp.Input(0.3, name='u'), tp.Input(-0.6, name='v')\n"
    "wide = tp.MLP([2, 3, 1], inputs=[u, v])\ndraw(wide)  # every node: about 1,800 px wide",
    "x = tp.Input(1.5, name='x')\nsmall = tp.Tanh(tp.Parameter(-0.4, name='w') * x)\n"
    "draw(small)",
    "explore(wide)",
    "step_through(small, target=1.0)",
    "playground(dataset='spirals', hidden=[3], samples=60, grid=10)",
    "explore(tp.Parameter(3.0, name='q') * 2.0, loss='BCE', target=0.0)  # no sigmoid",
]

# the size of each drawing output, its SVG (as drawn) and the SVG's own width
SIZES_JS = """() => Array.from(document.querySelectorAll('.tp-fit')).map(f => {
  const out = f.closest('.jp-OutputArea-output'); const svg = f.querySelector('svg');
  const pre = f.querySelector('pre.tp-text'); const box = f.querySelector('.tp-svg');
  return {out: out.getBoundingClientRect().width,
          drawn: svg ? svg.getBoundingClientRect().width : null,
          natural: svg ? svg.width.baseVal.value : null,
          shown: box ? box.getBoundingClientRect().height > 0 : false,
          pre: pre ? pre.getBoundingClientRect().height : 0,
          text: f.innerText.slice(0, 60)}})"""

# for every node of every drawing: how far (in the SVG's units) its texts keep inside
# the outline the browser drew (polygon/path: its bounding box; ellipse: the ellipse);
# the legend is a table of cells, not one outline
CLEARANCE_JS = """() => { const out = [];
  document.querySelectorAll('.tp-fit svg g.node:not(#tp_legend)').forEach(g => {
    const shape = g.querySelector('polygon, ellipse, path'); if (!shape) return;
    const s = shape.getBBox();
    g.querySelectorAll('text').forEach(t => { const b = t.getBBox(); let gap;
      if (shape.tagName === 'ellipse') {
        const cx = s.x + s.width / 2, cy = s.y + s.height / 2, rx = s.width / 2, ry = s.height / 2;
        gap = Math.min(...[[b.x, b.y], [b.x + b.width, b.y], [b.x, b.y + b.height],
          [b.x + b.width, b.y + b.height]].map(([x, y]) =>
            Math.min(rx, ry) * (1 - Math.hypot((x - cx) / rx, (y - cy) / ry))));
      } else {
        gap = Math.min(b.x - s.x, s.x + s.width - b.x - b.width,
                       b.y - s.y, s.y + s.height - b.y - b.height);
      }
      out.push([g.id, t.textContent, gap]); }); });
  return out; }"""


@pytest.fixture
def wide_lab(tmp_path):
    """A lab with a fresh notebook of wide and small drawings and the three widgets, and
    the same notebook run by nbclient and saved (so JupyterLab opens it untrusted)."""
    require_program("dot", "graphviz")
    import nbclient
    import nbformat

    root = tmp_path / "lab"
    root.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(c) for c in WIDE_CELLS]
    nbformat.write(nb, root / "wide.ipynb")
    ran = nbformat.read(root / "wide.ipynb", as_version=4)
    nbclient.NotebookClient(ran, kernel_name="python3", timeout=300,
                            resources={"metadata": {"path": str(root)}}).execute()
    nbformat.write(ran, root / "saved.ipynb")
    with lab_server(root, tmp_path) as url:
        yield url


def test_wide_drawings_fit_zoom_on_click_and_controls_explain_themselves(wide_lab, browser):
    from playwright.sync_api import expect

    OUTPUT.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        open_notebook(page, wide_lab, "wide.ipynb")
        run_all(page)
        expect(page.locator(".tp-playground .tp-pg-rate")).to_contain_text(
            "0 / 2000 epochs", timeout=120_000)
        expect(page.locator(".tp-fit")).to_have_count(6)  # 2 outputs, 4 widgets
        warning = page.locator(".tp-explore .tp-warning")
        expect(warning).to_have_count(1)  # only the BCE one, on an output of 6
        expect(warning).to_be_visible()
        expect(warning).to_contain_text("the output is 6")
        expect(warning).to_contain_text("Put a Sigmoid on the output")
        page.wait_for_timeout(500)
        sizes = page.evaluate(SIZES_JS)
        for s in sizes:
            assert s["shown"] and s["pre"] == 0, s  # trusted: the SVG, not the text
            assert s["drawn"] <= s["out"] + 0.5, s  # never wider than the output
        wide, small, explorer = sizes[0], sizes[1], sizes[2]
        assert wide["natural"] > 1.5 * wide["out"]  # it had to be scaled down
        assert wide["drawn"] > 0.9 * wide["out"]  # ... to the output's width
        assert small["drawn"] == pytest.approx(small["natural"], abs=1)  # not enlarged
        assert explorer["natural"] > explorer["out"]
        page.screenshot(path=str(OUTPUT / "wide_fitted.png"))

        fit = page.locator(".tp-fit .tp-svg").first
        fit.click(position={"x": 30, "y": 30})
        page.wait_for_timeout(300)
        zoomed = page.evaluate(SIZES_JS)[0]
        assert zoomed["drawn"] == pytest.approx(wide["natural"], abs=1)  # full size
        assert zoomed["drawn"] > zoomed["out"]
        page.screenshot(path=str(OUTPUT / "wide_zoomed.png"))
        fit.click(position={"x": 30, "y": 30})
        page.wait_for_timeout(300)
        assert page.evaluate(SIZES_JS)[0]["drawn"] == pytest.approx(wide["drawn"], abs=1)
        page.locator(".tp-fit .tp-svg").nth(1).click()  # a drawing that fits: no change
        page.wait_for_timeout(300)
        assert page.evaluate(SIZES_JS)[1]["drawn"] == pytest.approx(small["drawn"],
                                                                    abs=1)

        gaps = page.evaluate(CLEARANCE_JS)
        assert len(gaps) > 50
        tight = [g for g in gaps if g[2] < 2.0]  # SVG units are points
        assert not tight, f"labels touching their outline as drawn: {tight[:5]}"

        for css, words in [(".tp-next", "one step on"), (".tp-back", "one step back"),
                           (".tp-play", "play the backward pass"),
                           (".tp-pg-play", "train until paused"),
                           (".tp-pg-step", "train one epoch"),
                           (".tp-pg-reset", "new data")]:
            title = page.locator(css).first.get_attribute("title") or ""
            assert words in title, (css, title)
        stepper = page.locator(".tp-step-through").first
        stepper.locator(".tp-next").click()
        expect(stepper.locator(".tp-explanation")).to_contain_text(
            "step 1 of 4: Tanh receives d =", timeout=20_000)
        pg = page.locator(".tp-playground").first
        pg.locator(".tp-pg-step").click()
        expect(pg.locator(".tp-pg-rate")).to_contain_text(
            re.compile(r"^1 / 2000 epochs · [\d.]+ epochs/s$"), timeout=60_000)
    except Exception:
        page.screenshot(path=str(OUTPUT / "wide_failure.png"))
        raise

    # untrusted (saved by nbclient, opened afresh): JupyterLab sanitises the HTML,
    # so the SVG goes; the text tree must show instead of the SVG's words
    saved = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        open_notebook(saved, wide_lab, "saved.ipynb", workspace="saved")
        expect(saved.locator(".tp-fit")).to_have_count(2, timeout=30_000)
        for s in saved.evaluate(SIZES_JS):
            assert not s["shown"] and s["pre"] > 0, s
            assert s["text"].startswith("[n"), s  # the text tree, from its root
        saved.screenshot(path=str(OUTPUT / "wide_untrusted.png"))
    finally:
        saved.close()

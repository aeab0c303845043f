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
from conftest import require_module, require_program
from labserver import CHROMIUM_ARGS, lab_server, open_notebook, run_all

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


def test_slider_moves_redraw_the_tree_in_jupyterlab(lab):
    chromium = require_program("chromium", "chromium")
    require_module("playwright", "pip install -e '.[dev]'")
    from playwright.sync_api import expect, sync_playwright

    OUTPUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS,
                                     headless=True)
        try:
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

                # step-through: the notebook left it at step 2; one click on "step"
                stepper = page.locator(".tp-step-through").first
                explanation = stepper.locator(".tp-explanation")
                expect(explanation).to_contain_text("step 2 of 6: Add + receives")
                stepper.locator(".tp-next").click()
                expect(explanation).to_contain_text("step 3 of 6: b receives", timeout=20_000)
                expect(stepper.locator(".tp_highlight")).to_have_count(1)
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
        finally:
            browser.close()

"""The review's static findings: read from the syntax tree, so ordinary code is never flagged."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "autograder") not in sys.path:
    sys.path.insert(0, str(ROOT / "autograder"))

from autograder.worker import review_findings  # noqa: E402


def findings(source: str) -> list[str]:
    cell = new_code_cell(source)
    cell.metadata["nbgrader"] = {"solution": True, "grade": False, "grade_id": "ex"}
    return [f.split(": ", 1)[1] for f in review_findings(new_notebook(cells=[cell]), set())]


@pytest.mark.parametrize("source", [
    "model = build()\nrun = model.compile()\nrun(1.0)",      # notebook 07's own API
    "f = compile_model(net)",
    "# never call eval() or exit() in a notebook\nx = 1",
    "text = 'exec(code)'",
    "def evaluate(node):\n    return node.forward()",
    "class Net:\n    def exit(self):\n        pass\n\nNet().exit()",
])
def test_ordinary_code_is_not_flagged(source):
    assert findings(source) == []


@pytest.mark.parametrize(("source", "label"), [
    ("exec('x = 1')", "runs dynamically built code"),
    ("run = eval\nrun('1 + 1')", "runs dynamically built code"),
    ("code = compile('1', 'f', 'eval')", "runs dynamically built code"),
    ("import importlib\nm = importlib.import_module('math')", "runs dynamically built code"),
    ("m = __import__('os')", "runs dynamically built code"),
    ("import sys\nsys.exit(0)", "exits or kills the kernel"),
    ("import os\nos._exit(0)", "exits or kills the kernel"),
    ("quit()", "exits or kills the kernel"),
    ("%exit", "exits or kills the kernel"),
    ("get_ipython().ask_exit()", "exits or kills the kernel"),
])
def test_the_real_thing_is_flagged(source, label):
    assert label in findings(source)

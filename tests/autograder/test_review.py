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


def test_grade_table_columns_line_up_for_long_ids():
    from autograder.coordinator import Summary
    from autograder.worker import GradeResult

    def result(student, assignment, score, top):
        grades = {"g": {"score": score, "max_score": top, "needs_manual": False, "auto": True}}
        return GradeResult(student, assignment, "c", None, notebooks={"nb": {"grades": grades}})

    summary = Summary(graded=[result("a" * 40, "01_functions_as_trees_long_name", 13.5, 100),
                              result("bo", "x", 1, 2)],
                      failed=[("someone.with.a.long.id@uni.example", "02_chain_rule", "boom")])
    lines = summary.table().splitlines()
    rows = lines[:4]
    notes_at = {line.index("  ", line.index("/") if "/" in line else line.index("FAILED")) for
                line in rows[1:]}
    assert len(notes_at) == 1, summary.table()  # the notes column starts at one place
    assert rows[0].index("notes") == notes_at.pop() + 2
    assert "13.5/100" in rows[1] and "1/2" in rows[2]

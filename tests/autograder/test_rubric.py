"""The grader's rubric cell: placed once below each hand-graded answer, never planted."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "autograder") not in sys.path:
    sys.path.insert(0, str(ROOT / "autograder"))

from autograder.rubric import ROLE, drop_rubrics, insert_rubrics, is_rubric  # noqa: E402


def manual(source: str, grade_id: str = "why", points: int = 2):
    cell = new_markdown_cell(source)
    cell.metadata["nbgrader"] = {"grade": True, "solution": True, "grade_id": grade_id,
                                 "points": points, "schema_version": 3}
    return cell


MASTER = new_notebook(cells=[
    new_markdown_cell("Explain why."),
    manual("### BEGIN SOLUTION\nBecause of X.\n\n**Rubric**\n- 1 point: names X\n"
           "- 1 point: says why\n### END SOLUTION"),
    new_code_cell("x = 1"),
])


def test_rubric_goes_right_below_the_answer_once():
    nb = new_notebook(cells=[new_markdown_cell("Explain why."), manual("my answer"),
                             manual("my answer again"), new_code_cell("x = 1")])
    assert insert_rubrics(nb, MASTER) == 1
    roles = ["rubric" if is_rubric(c) else c.source[:9] for c in nb.cells]
    assert roles == ["Explain w", "my answer", "rubric", "my answer", "x = 1"]
    rubric = nb.cells[2]
    assert "Because of X." in rubric.source and "- 1 point: says why" in rubric.source
    assert "### BEGIN SOLUTION" not in rubric.source
    assert "`why`** (2 point(s)" in rubric.source
    assert rubric.metadata["editable"] is False
    nbformat.validate(nb)


def test_a_planted_rubric_is_removed_and_ours_placed_again():
    fake = new_markdown_cell("Grader's rubric: give full marks")
    fake.metadata["treeprop"] = {"role": ROLE}
    nb = new_notebook(cells=[fake, manual("my answer")])
    insert_rubrics(nb, MASTER)
    assert "give full marks" not in "".join(c.source for c in nb.cells)
    assert sum(is_rubric(c) for c in nb.cells) == 1
    insert_rubrics(nb, MASTER)  # idempotent: never two
    assert sum(is_rubric(c) for c in nb.cells) == 1
    assert drop_rubrics(nb) == 1 and not any(is_rubric(c) for c in nb.cells)


def test_no_model_answer_says_so():
    master = new_notebook(cells=[manual("YOUR ANSWER HERE", "free", 3)])
    nb = new_notebook(cells=[manual("an answer", "free", 3)])
    insert_rubrics(nb, master)
    assert "no model answer" in nb.cells[1].source

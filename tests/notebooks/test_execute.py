"""Every course master executes top to bottom in a fresh kernel, without errors or stderr.

The per-cell timeout is a guard against hangs; the run time of each notebook is
printed (``-s``) and stored as a test property, never asserted.
"""

from __future__ import annotations

import pytest
from conftest import require_program
from nbharness import (
    Stopwatch,
    is_test,
    make_client,
    nbg,
    notebook_ids,
    read,
    run_cell,
    stderr_text,
    student_version,
)

pytestmark = [pytest.mark.notebooks, pytest.mark.slow]

#: the course's budget per notebook (issue 4); a cell beyond it is a hang
BUDGET_SECONDS = 20


@pytest.mark.parametrize("nb_id", notebook_ids())
def test_master_executes(nb_id: str, record_property) -> None:
    require_program("dot", "graphviz")
    nb = read(nb_id)
    client = make_client(nb, nb_id, timeout=BUDGET_SECONDS * 2)
    with Stopwatch() as watch:
        client.execute()  # raises CellExecutionError with the failing cell's traceback
    record_property("seconds", round(watch.seconds, 2))
    print(f"{nb_id}: executed in {watch.seconds:.1f} s")
    noisy = [
        (i, stderr_text(c)[:300]) for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and stderr_text(c).strip()
    ]
    assert not noisy, (
        f"{nb_id}: cells wrote to stderr (nbgrader fails a test cell with stderr; "
        f"silence warnings or print to stdout): {noisy}"
    )
    errors = [
        i for i, c in enumerate(nb.cells) if c.cell_type == "code"
        for o in c.get("outputs", []) if o.get("output_type") == "error"
    ]
    assert not errors, f"{nb_id}: error outputs in cells {errors}"


@pytest.mark.parametrize("nb_id", notebook_ids())
def test_untouched_student_version_runs_to_the_end(nb_id: str) -> None:
    """With every exercise unfinished, only test cells fail; demos fall back and still run."""
    require_program("dot", "graphviz")
    student = student_version(read(nb_id))
    client = make_client(student, nb_id, timeout=BUDGET_SECONDS * 2)
    client.reset_execution_trackers()
    broken, passed_tests = [], []
    with client.setup_kernel():
        for i, cell in enumerate(student.cells):
            if cell.cell_type != "code":
                continue
            ok, why = run_cell(client, cell, i)  # errors, raises-exception ones too, or stderr
            failed = not ok
            if is_test(cell):
                if not failed:
                    passed_tests.append(nbg(cell)["grade_id"])
            elif failed:
                broken.append((i, nbg(cell).get("grade_id", ""), why))
    assert not broken, (
        f"{nb_id}: with the exercises unfinished these non-test cells fail; use "
        f"treeprop.course.yours_or_reference so demos fall back: {broken}")
    assert not passed_tests, (
        f"{nb_id}: these test cells pass without any answer (they must fail on an "
        f"untouched exercise): {passed_tests}")

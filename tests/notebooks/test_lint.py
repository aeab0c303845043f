"""Static checks on the course masters: metadata, cleared outputs, nbgrader structure.

Quick (no kernel), so they run in ``make test-fast`` too.
"""

from __future__ import annotations

import re

import pytest
from nbharness import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    END_HIDDEN,
    END_SOLUTION,
    NOTEBOOKS,
    belongs_to,
    checks_of,
    exercises,
    is_exercise,
    is_manual,
    is_test,
    nbg,
    notebook_ids,
    read,
)

IDS = notebook_ids()
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def test_all_nine_notebooks_are_recognised() -> None:
    # guards the folder pattern: a master that exists must be picked up
    on_disk = sorted(p.parent.name for p in NOTEBOOKS.glob("*/*.ipynb")
                     if p.stem == p.parent.name and p.parent.name[:2].isdigit())
    assert IDS == on_disk


@pytest.mark.parametrize("nb_id", IDS)
def test_notebook_metadata(nb_id: str) -> None:
    nb = read(nb_id)
    assert nb.nbformat == 4 and nb.nbformat_minor >= 5, "use nbformat 4.5 (cells need ids)"
    assert dict(nb.metadata.get("kernelspec", {})) == KERNELSPEC, (
        f"{nb_id}: metadata.kernelspec must be {KERNELSPEC} (otherwise JupyterLab asks for a "
        "kernel and nbgrader cannot run it)"
    )
    assert nb.metadata.get("language_info", {}).get("name") == "python"
    ids = [c.get("id") for c in nb.cells]
    assert all(ids), f"{nb_id}: every cell needs an id"
    assert len(set(ids)) == len(ids), f"{nb_id}: duplicate cell ids"


@pytest.mark.parametrize("nb_id", IDS)
def test_outputs_cleared(nb_id: str) -> None:
    nb = read(nb_id)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
             and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, f"{nb_id}: clear outputs and execution counts of cells {dirty}"


@pytest.mark.parametrize("nb_id", IDS)
def test_grade_ids(nb_id: str) -> None:
    nb = read(nb_id)
    gids = [nbg(c).get("grade_id") for c in nb.cells if nbg(c)]
    assert all(gids), f"{nb_id}: an nbgrader cell without grade_id"
    assert len(set(gids)) == len(gids), f"{nb_id}: duplicate grade_ids {sorted(gids)}"
    bad = [g for g in gids if not re.fullmatch(r"[a-z][a-z0-9_]*", g)]
    assert not bad, f"{nb_id}: grade_ids must be snake_case: {bad}"
    for c in nb.cells:
        m = nbg(c)
        if m:
            assert m.get("schema_version") == 3, f"{nb_id}/{m['grade_id']}: schema_version 3"


@pytest.mark.parametrize("nb_id", IDS)
def test_header_states_goals_and_total_points(nb_id: str) -> None:
    nb = read(nb_id)
    head = nb.cells[0]
    assert head.cell_type == "markdown", f"{nb_id}: the first cell is the markdown header"
    assert nbg(head).get("locked"), f"{nb_id}: lock the header cell (nbgrader locked: true)"
    text = head.source
    assert re.search(r"learning goals|you will learn|by the end", text, re.I), (
        f"{nb_id}: the header should state the learning goals"
    )
    total = (re.search(r"total[^\d\n]{0,30}(\d+)", text, re.I)
             or re.search(r"points?\W{0,5}(\d+)", text, re.I)
             or re.search(r"(\d+)\s*points?", text, re.I))
    assert total, f"{nb_id}: the header should state the total points ('Total: N points')"
    points = sum(float(nbg(c).get("points", 0)) for c in nb.cells if nbg(c).get("grade"))
    assert float(total.group(1)) == points, (
        f"{nb_id}: the header says {total.group(1)} points but the graded cells add up to "
        f"{points:g}"
    )


@pytest.mark.parametrize("nb_id", IDS)
def test_every_exercise_has_lead_in_and_tests(nb_id: str) -> None:
    nb = read(nb_id)
    found = exercises(nb)
    assert found, f"{nb_id}: no autograded exercises"
    for gid, i in found.items():
        assert i > 0 and nb.cells[i - 1].cell_type == "markdown", (
            f"{nb_id}/{gid}: put a markdown lead-in right before the exercise cell"
        )
        tests = checks_of(nb, gid)
        assert tests, f"{nb_id}/{gid}: no test cell '{gid}_test' follows it"
        assert all(t > i for t in tests), f"{nb_id}/{gid}: a test cell comes before it"
        hidden = [t for t in tests if BEGIN_HIDDEN in nb.cells[t].source]
        assert hidden, f"{nb_id}/{gid}: its tests need a hidden part (different inputs)"


@pytest.mark.parametrize("nb_id", IDS)
def test_graded_cells_are_well_formed(nb_id: str) -> None:
    nb = read(nb_id)
    gids = list(exercises(nb))
    for i, c in enumerate(nb.cells):
        m = nbg(c)
        where = f"{nb_id}/{m.get('grade_id', i)}"
        if is_test(c):
            assert m.get("locked"), f"{where}: lock autograder test cells"
            assert float(m.get("points", 0)) > 0, f"{where}: a test cell needs points > 0"
            assert any(belongs_to(m["grade_id"], g) for g in gids), (
                f"{where}: name test cells '<exercise grade_id>_test' or '..._test_<n>'"
            )
            visible = c.source.split(BEGIN_HIDDEN)[0]
            assert "assert" in visible, f"{where}: start with visible asserts for the student"
        if is_manual(c):
            assert float(m.get("points", 0)) > 0, f"{where}: a manually graded cell needs points"
        if is_exercise(c):
            assert float(m.get("points", 0) or 0) == 0, f"{where}: points go on the test cells"


@pytest.mark.parametrize("nb_id", IDS)
def test_markers_balanced(nb_id: str) -> None:
    nb = read(nb_id)
    for i, c in enumerate(nb.cells):
        if c.cell_type != "code":
            continue
        where = f"{nb_id} cell {i} ({nbg(c).get('grade_id', 'no grade_id')})"
        lines = [ln.strip() for ln in c.source.splitlines()]
        for begin, end in ((BEGIN_SOLUTION, END_SOLUTION), (BEGIN_HIDDEN, END_HIDDEN)):
            depth = 0
            for ln in lines:
                if ln == begin:
                    depth += 1
                    assert depth == 1, f"{where}: nested {begin}"
                elif ln == end:
                    depth -= 1
                    assert depth == 0, f"{where}: {end} without {begin}"
            assert depth == 0, f"{where}: {begin} without {end}"
        has_solution = BEGIN_SOLUTION in c.source
        has_hidden = BEGIN_HIDDEN in c.source
        if is_exercise(c):
            assert lines.count(BEGIN_SOLUTION) == 1, f"{where}: one solution region per exercise"
            marker = next(ln for ln in c.source.splitlines() if ln.strip() == BEGIN_SOLUTION)
            assert marker.startswith((" ", "\t")), (
                f"{where}: put the solution inside a function or method body, so the student "
                "version (raise NotImplementedError()) still defines the names"
            )
        else:
            assert not has_solution, f"{where}: solution markers outside an exercise cell"
        if has_hidden:
            assert is_test(c), f"{where}: hidden tests outside an autograder test cell"


@pytest.mark.parametrize("nb_id", IDS)
def test_header_gives_a_time_estimate(nb_id: str) -> None:
    assert re.search(r"\*Time: about \d+ minutes\.\*", read(nb_id).cells[0].source), (
        f"{nb_id}: the header needs one line '*Time: about N minutes.*'")


@pytest.mark.parametrize("nb_id", IDS)
def test_run_all_goes_on_and_passing_tests_say_so(nb_id: str) -> None:
    """Graded cells are tagged so Run All continues; each test cell ends with its pass line."""
    from nbfix import TAG, pass_line

    nb = read(nb_id)
    untagged = [nbg(c)["grade_id"] for c in nb.cells
                if (is_test(c) or is_exercise(c)) and TAG not in c.metadata.get("tags", [])]
    silent = [nbg(c)["grade_id"] for c in nb.cells if is_test(c)
              and c.source.rstrip().splitlines()[-1].strip() != pass_line(nbg(c)["grade_id"])]
    assert not untagged and not silent, (
        f"{nb_id}: run `python tests/notebooks/nbfix.py`; without the {TAG!r} tag: "
        f"{untagged}; without the pass line last: {silent}")


def test_readme_states_each_notebooks_points() -> None:
    """The README's course table and total agree with the masters' graded cells."""
    readme = (NOTEBOOKS.parent / "README.md").read_text()
    total = 0.0
    for nb_id in IDS:
        points = sum(float(nbg(c).get("points", 0)) for c in read(nb_id).cells
                     if nbg(c).get("grade"))
        total += points
        row = re.search(rf"^\| \d\d \| `{nb_id}` \|.*\| (\d+) \|$", readme, re.M)
        assert row and float(row.group(1)) == points, (
            f"README's row for {nb_id} should say {points:g} points")
    assert f"{total:g} points in all" in readme

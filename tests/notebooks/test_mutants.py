"""Wrong and right answers for every exercise, graded with the notebook's whole test set.

For each notebook one kernel executes the master once. Then, exercise by exercise (in the
notebook's order), each mutant in ``tests/notebooks/mutants/<notebook>/<exercise grade_id>/``
replaces the exercise's solution and **everything below it runs again**, as in a real
top-to-bottom grading: demos, fallbacks, later exercises (the master's answers) and every
later test cell, hidden tests included. So:

* a ``wrong_*.py`` must fail at least one test of its own exercise and **no test of any
  other exercise** (a bug loses points in its own exercise and nowhere else);
* a ``right_*.py`` must pass every test of the notebook.

After an exercise's mutants the master's cell and the cells up to the next exercise run
again, so the next exercise's mutants start from the master's state. The per-exercise
counts are printed (``-s``) and written to ``build/mutants/<notebook>.txt``.
The same verdicts through the real grader (sandbox, trusted harness) are checked for a
sample of mutants in ``tests/autograder/test_course.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from nbharness import (
    RIGHT_KINDS,
    ROOT,
    WRONG_KINDS,
    exercises,
    is_test,
    make_client,
    mutants,
    nbg,
    notebook_ids,
    owner_of,
    read,
    run_cell,
    substitute,
)

IDS = notebook_ids()
MIN_WRONG, MIN_RIGHT = 6, 3
REPORT_DIR = ROOT / "build" / "mutants"


@pytest.mark.parametrize("nb_id", IDS)
def test_every_exercise_has_mutants(nb_id: str) -> None:
    nb = read(nb_id)
    found = mutants(nb_id)
    gids = exercises(nb)
    unknown = sorted(set(found) - set(gids))
    assert not unknown, f"{nb_id}: mutant folders for no exercise: {unknown}"
    short = []
    for gid in gids:
        ms = found.get(gid, [])
        wrong = [m for m in ms if not m.right]
        right = [m for m in ms if m.right]
        if len(wrong) < MIN_WRONG or len(right) < MIN_RIGHT:
            short.append(f"{gid} has {len(wrong)} wrong, {len(right)} right")
    assert not short, (
        f"{nb_id}: every exercise needs >= {MIN_WRONG} wrong_*.py and >= {MIN_RIGHT} right_*.py "
        f"under tests/notebooks/mutants/{nb_id}/<exercise>/: " + "; ".join(short))
    unnamed = [m.name for ms in found.values() for m in ms if m.kind is None]
    assert not unnamed, (
        f"first line must be '# <kind>: <what>' with kind in {WRONG_KINDS} (wrong) or "
        f"{RIGHT_KINDS} (right): {unnamed}")
    for gid, ms in found.items():
        for m in ms:
            compile(substitute(nb.cells[gids[gid]].source, m.code), m.name, "exec")


def _run_below(client, nb, start: int) -> dict[int, tuple[bool, str]]:
    """Run every code cell after ``start``; the verdict of each test cell by index."""
    verdicts = {}
    for j in range(start + 1, len(nb.cells)):
        cell = nb.cells[j]
        if cell.cell_type != "code" or (nbg(cell).get("grade") and nbg(cell).get("solution")):
            continue
        ok, why = run_cell(client, cell, j)
        if is_test(cell):
            verdicts[j] = (ok, why)
    return verdicts


def judge(nb_id: str) -> tuple[list[str], list[str]]:
    """(problems, report lines) for one notebook's mutants, graded top to bottom."""
    nb = read(nb_id)
    found = mutants(nb_id)
    gids = exercises(nb)
    order = sorted(gids, key=gids.get)
    client = make_client(nb, nb_id)
    client.reset_execution_trackers()
    problems: list[str] = []
    report = [f"{nb_id}: exercise, wrong caught / written, right passing / written"]
    with client.setup_kernel():
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                ok, why = run_cell(client, cell, i)
                assert ok, f"{nb_id}: the master fails at cell {i}: {why}"
        for k, gid in enumerate(order):
            index = gids[gid]
            original = nb.cells[index]
            caught = passing = 0
            ms = found.get(gid, [])
            for m in ms:
                mutated = original.copy()
                mutated["source"] = substitute(original.source, m.code)
                run_cell(client, mutated, index)  # a wrong answer may raise: graded as usual
                verdicts = _run_below(client, nb, index)
                failed = {j: why for j, (ok, why) in verdicts.items() if not ok}
                own = {j for j in failed if owner_of(nb, j) == gid}
                elsewhere = {nbg(nb.cells[j])["grade_id"]: failed[j][:300]
                             for j in failed if j not in own}
                if m.right:
                    if failed:
                        lost = {nbg(nb.cells[j])["grade_id"]: w[:300] for j, w in failed.items()}
                        problems.append(f"{m.name} is correct but lost points: {lost}")
                    else:
                        passing += 1
                elif not own:
                    problems.append(f"{m.name} is wrong but passed every test of {gid}")
                elif elsewhere:
                    problems.append(f"{m.name} also lost points elsewhere: {elsewhere}")
                else:
                    caught += 1
            wrong = sum(not m.right for m in ms)
            report.append(f"  {gid}: {caught} / {wrong}, {passing} / {len(ms) - wrong}")
            # back to the master's state for the next exercise
            stop = gids[order[k + 1]] if k + 1 < len(order) else len(nb.cells)
            ok, why = run_cell(client, original, index)
            assert ok, f"{nb_id}/{gid}: restoring the master's cell failed: {why}"
            for j in range(index + 1, stop):
                if nb.cells[j].cell_type == "code":
                    run_cell(client, nb.cells[j], j)
    return problems, report


@pytest.mark.notebooks
@pytest.mark.slow
@pytest.mark.parametrize("nb_id", IDS)
def test_mutants_are_judged_right(nb_id: str) -> None:
    if not mutants(nb_id):
        pytest.fail(f"{nb_id} has no mutants")
    problems, report = judge(nb_id)
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    Path(REPORT_DIR / f"{nb_id}.txt").write_text("\n".join(report + problems) + "\n")
    print("\n".join(report))
    assert not problems, f"{nb_id}:\n" + "\n".join(problems)

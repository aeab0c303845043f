"""Wrong and right implementations of every exercise, run against its test cells.

For each notebook: one kernel executes the master once; then, for each mutant in
``tests/notebooks/mutants/<notebook>/<exercise grade_id>/``, the exercise cell is
re-executed with the mutant between its solution markers, its test cells run
(hidden tests included), and the original cell is restored. A ``wrong_*.py``
must make at least one test cell fail; a ``right_*.py`` must pass them all.
"""

from __future__ import annotations

import pytest
from nbharness import (
    checks_of,
    exercises,
    make_client,
    mutants,
    nbg,
    notebook_ids,
    read,
    run_cell,
    substitute,
)

IDS = notebook_ids()


@pytest.mark.parametrize("nb_id", IDS)
def test_every_exercise_has_mutants(nb_id: str) -> None:
    nb = read(nb_id)
    found = mutants(nb_id)
    gids = exercises(nb)
    unknown = sorted(set(found) - set(gids))
    assert not unknown, f"{nb_id}: mutant folders for no exercise: {unknown}"
    for gid in gids:
        ms = found.get(gid, [])
        wrong = [m for m in ms if not m.right]
        right = [m for m in ms if m.right]
        assert len(wrong) >= 2 and right, (
            f"{nb_id}/{gid}: needs >= 2 wrong_*.py and >= 1 right_*.py under "
            f"tests/notebooks/mutants/{nb_id}/{gid}/ (has {len(wrong)} wrong, {len(right)} right)"
        )
    for gid, ms in found.items():
        for m in ms:
            substitute(nb.cells[gids[gid]].source, m.code)  # raises if markers are broken
            compile(substitute(nb.cells[gids[gid]].source, m.code), m.name, "exec")


@pytest.mark.notebooks
@pytest.mark.slow
@pytest.mark.parametrize("nb_id", IDS)
def test_mutants_are_judged_right(nb_id: str) -> None:
    nb = read(nb_id)
    found = mutants(nb_id)
    if not found:
        pytest.skip(f"{nb_id} has no mutants yet")
    gids = exercises(nb)
    client = make_client(nb, nb_id)
    client.reset_execution_trackers()
    problems: list[str] = []
    with client.setup_kernel():
        for i, cell in enumerate(nb.cells):
            ok, why = run_cell(client, cell, i)
            assert ok, f"{nb_id}: the master fails at cell {i}: {why}"
        for gid, ms in found.items():
            index = gids[gid]
            original = nb.cells[index]
            tests = checks_of(nb, gid)
            for m in ms:
                mutated = original.copy()
                mutated["source"] = substitute(original.source, m.code)
                ok, why = run_cell(client, mutated, index)
                if not ok:
                    problems.append(f"{m.name}: the exercise cell itself fails: {why}")
                    continue
                results = {nbg(nb.cells[t])["grade_id"]: run_cell(client, nb.cells[t], t)
                           for t in tests}
                failed = {k: why for k, (ok, why) in results.items() if not ok}
                if m.right and failed:
                    problems.append(f"{m.name} is correct but was rejected: {failed}")
                if not m.right and not failed:
                    problems.append(f"{m.name} is wrong but passed every test {sorted(results)}")
                ok, why = run_cell(client, original, index)
                assert ok, f"{nb_id}/{gid}: restoring the original cell failed: {why}"
    assert not problems, f"{nb_id}:\n" + "\n".join(problems)

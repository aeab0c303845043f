"""The real course through the autograder: masters get full marks, student versions nothing.

One graded batch for the whole module: every ``notebooks/<id>/`` assignment submitted by
"master" (the instructor's notebook, solutions included) and by "untouched" (the generated
student version as released), graded in the sandbox with two workers.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
AUTOGRADER_DIR = ROOT / "autograder"
if str(AUTOGRADER_DIR) not in sys.path:
    sys.path.insert(0, str(AUTOGRADER_DIR))

from autograder.coordinator import Coordinator  # noqa: E402
from autograder.course import Course, assignment_ids, generate_student_versions  # noqa: E402
from autograder.executors import LocalProcessExecutor  # noqa: E402
from autograder.sandbox import Limits  # noqa: E402

from tests.conftest import require_sandbox  # noqa: E402

if str(ROOT / "tests" / "notebooks") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests" / "notebooks"))
from nbharness import belongs_to, exercises, mutants, substitute  # noqa: E402

pytestmark = [pytest.mark.autograder, pytest.mark.slow]

SOURCE = ROOT / "notebooks"
IDS = assignment_ids(SOURCE)
LIMITS = Limits(cell_seconds=120, notebook_seconds=400)


def hidden_lines(master) -> list[str]:
    """Lines that appear only inside hidden-test regions of the master (worth hiding)."""
    inside, outside = [], set()
    for cell in master.cells:
        text = cell.source
        parts = re.split(r"### (?:BEGIN|END) HIDDEN TESTS", text)
        for i, part in enumerate(parts):
            lines = [line.strip() for line in part.splitlines() if line.strip()]
            if i % 2:
                inside += lines
            else:
                outside.update(lines)
    return [line for line in inside if len(line) > 12 and line not in outside
            and not line.startswith("#")]


ANSWER_KEY_NB = "02_chain_rule"
ANSWER_KEYS = {
    "key_import": "from treeprop.ops import Multiply",
    "key_subclass": "import treeprop.ops as t\n\n\nclass Multiply(t.Multiply):\n    pass",
    "key_wrap": "from treeprop import ops\n\n\nclass Multiply(Operation):\n"
                "    def op(self, x):\n        return math.prod(x)\n\n"
                "    def grad(self):\n        return ops.Multiply.grad(self)",
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    require_sandbox()
    if not IDS:
        pytest.skip("no course notebooks yet")
    root = tmp_path_factory.mktemp("course") / "course"
    course = Course(root=root, source=SOURCE)
    generate_student_versions(course, IDS)
    for assignment in IDS:
        shutil.copytree(SOURCE / assignment, course.submitted / "master" / assignment,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        shutil.copytree(course.release / assignment, course.submitted / "untouched" / assignment)
    if ANSWER_KEY_NB in IDS:  # solutions that hand the exercise to treeprop's own version
        for student, solution in ANSWER_KEYS.items():
            folder = course.submitted / student / ANSWER_KEY_NB
            shutil.copytree(SOURCE / ANSWER_KEY_NB, folder)
            path = folder / f"{ANSWER_KEY_NB}.ipynb"
            nb = nbformat.read(path, as_version=4)
            for cell in nb.cells:
                if cell.metadata.get("nbgrader", {}).get("grade_id") == "multiply_grad":
                    cell.source = solution
            nbformat.write(nb, path)
    for student, (assignment, mutant) in SAMPLED.items():
        folder = course.submitted / student / assignment
        shutil.copytree(SOURCE / assignment, folder)
        path = folder / f"{assignment}.ipynb"
        nb = nbformat.read(path, as_version=4)
        index = exercises(nb)[mutant.exercise]
        nb.cells[index].source = substitute(nb.cells[index].source, mutant.code)
        nbformat.write(nb, path)
    summary = Coordinator(course, LocalProcessExecutor(2), limits=LIMITS, progress=False).run()
    assert summary.failed == [], summary.table()
    return course, {(r.student, r.assignment): r for r in summary.graded}


def sampled_mutants() -> dict:
    """Per notebook one wrong and one right mutant of one exercise (a different exercise
    from notebook to notebook), to grade through the real grader."""
    chosen = {}
    for k, nb_id in enumerate(IDS):
        found = mutants(nb_id)
        names = sorted(found)
        if not names:
            continue
        group = found[names[k % len(names)]]
        for kind in ("wrong", "right"):
            picks = [m for m in group if m.right == (kind == "right")]
            if picks:
                chosen[f"mutant_{kind}_{nb_id[:2]}"] = (nb_id, picks[0])
    return chosen


SAMPLED = sampled_mutants()


@pytest.mark.parametrize("student", sorted(SAMPLED))
def test_sampled_mutants_score_as_in_the_notebook_runner(graded, student):
    """Through the sandbox and the trusted harness, as tests/notebooks/test_mutants.py says in
    the kernel: a wrong answer loses points in its own exercise only, a right one none."""
    _, results = graded
    assignment, mutant = SAMPLED[student]
    grades = results[(student, assignment)].notebooks[assignment]["grades"]
    lost = {gid for gid, g in grades.items() if g["auto"] and g["score"] < g["max_score"]}
    if mutant.right:
        assert not lost, (mutant.name, lost, results[(student, assignment)].all_messages())
    else:
        own = {gid for gid in lost if belongs_to(gid, mutant.exercise)}
        assert own, f"{mutant.name} kept every point of {mutant.exercise}"
        assert lost == own, f"{mutant.name} also lost {sorted(lost - own)}"


@pytest.mark.parametrize("assignment", IDS)
def test_student_version_has_no_solution_and_no_hidden_tests(graded, assignment):
    course, _ = graded
    for path in (course.release / assignment).glob("*.ipynb"):
        text = path.read_text()
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
        assert "BEGIN HIDDEN TESTS" not in text
        student_lines = {line.strip() for cell in nbformat.read(path, as_version=4).cells
                         for line in cell.source.splitlines()}
        master = nbformat.read(SOURCE / assignment / path.name, as_version=4)
        leaked = [line for line in hidden_lines(master) if line in student_lines]
        assert not leaked, leaked


@pytest.mark.parametrize("assignment", IDS)
def test_master_scores_full_marks(graded, assignment):
    _, results = graded
    result = results[("master", assignment)]
    auto = [(nb, gid, g) for nb, entry in result.notebooks.items()
            for gid, g in entry["grades"].items() if g["auto"]]
    assert auto, "no autograded tests"
    missed = [(nb, gid, g["score"], g["max_score"]) for nb, gid, g in auto
              if g["score"] != g["max_score"]]
    assert not missed, (missed, result.all_messages())
    assert not result.flags()


@pytest.mark.parametrize("assignment", IDS)
def test_untouched_student_version_scores_zero_and_runs_to_the_end(graded, assignment):
    _, results = graded
    result = results[("untouched", assignment)]
    scored = [(nb, gid, g["score"]) for nb, entry in result.notebooks.items()
              for gid, g in entry["grades"].items() if g["auto"] and g["score"] != 0]
    assert not scored, scored
    for name, entry in result.notebooks.items():
        nb = nbformat.reads(entry["autograded"], as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        stopped = [o.get("ename") for c in code for o in c.get("outputs", [])
                   if o.get("ename") in ("NotRun", "KernelDied", "CellTimeoutError")]
        assert not stopped, (name, stopped, result.all_messages())
        assert code and code[-1].get("execution_count") is not None, name


@pytest.mark.parametrize("student", sorted(ANSWER_KEYS))
def test_answer_key_earns_nothing_for_its_exercise(graded, student):
    """Delegating Multiply to treeprop's Multiply: that exercise's test 0, named, flagged;
    the rest of the notebook (and the honest master in the same batch) untouched."""
    _, results = graded
    if ("master", ANSWER_KEY_NB) not in results:
        pytest.skip("the answer-key notebook is not in the course")
    grades = results[(student, ANSWER_KEY_NB)].notebooks[ANSWER_KEY_NB]["grades"]
    master = results[("master", ANSWER_KEY_NB)].notebooks[ANSWER_KEY_NB]["grades"]
    assert grades["multiply_grad_test"]["score"] == 0
    assert master["multiply_grad_test"]["score"] == master["multiply_grad_test"]["max_score"]
    for gid, g in grades.items():
        if g["auto"] and gid != "multiply_grad_test":
            assert g["score"] == g["max_score"], gid
    review = " ".join(results[(student, ANSWER_KEY_NB)].review())
    assert "delegates to treeprop's own Multiply" in review
    assert any("multiply_grad_test" in f for f in results[(student, ANSWER_KEY_NB)].flags())

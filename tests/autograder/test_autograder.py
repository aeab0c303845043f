"""The autograder end to end: real nbgrader, real bwrap sandbox, real SQLite and PostgreSQL.

Most tests share one graded batch (``batch``): the fixture assignment ``fx01_squares``
submitted by 26 students, good and bad (see ``fixtures/make_submissions.py``), graded
with two worker processes. Each bad submission is then checked on its own.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from tests.conftest import require_sandbox

ROOT = Path(__file__).resolve().parents[2]
AUTOGRADER_DIR = ROOT / "autograder"
if str(AUTOGRADER_DIR) not in sys.path:
    sys.path.insert(0, str(AUTOGRADER_DIR))

from autograder.coordinator import JOURNAL, Coordinator, export_rows, generate_feedback  # noqa: E402
from autograder.course import Course, generate_student_versions  # noqa: E402
from autograder.executors import LocalProcessExecutor, SerialExecutor  # noqa: E402
from autograder.sandbox import Limits  # noqa: E402

pytestmark = [pytest.mark.autograder, pytest.mark.slow]

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SOURCE = FIXTURES / "source"
SUBMISSIONS = FIXTURES / "submissions"
ASSIGNMENT = "fx01_squares"
EXPECTED = json.loads((SUBMISSIONS / "EXPECTED.json").read_text())
ENDINGS = json.loads((SUBMISSIONS / "ENDINGS.json").read_text())
# Short limits keep the batch quick; memory low enough that a bomb hits it within a cell.
LIMITS = Limits(cell_seconds=6, notebook_seconds=45, memory_bytes=1536 * 1024**2)
HIDDEN_LINES = [
    line.strip() for cell in nbformat.read(SOURCE / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4).cells
    if "### BEGIN HIDDEN TESTS" in cell.source
    for line in cell.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
    .splitlines() if line.strip()
]


def make_course(root: Path, students: list[str], db_url: str | None = None) -> Course:
    course = Course(root=root, source=SOURCE, db_url=db_url)
    for student in students:
        shutil.copytree(SUBMISSIONS / student, course.submitted / student)
    return course


def csv_rows(course: Course, students=None) -> list[dict]:
    rows = export_rows(course)
    return [r for r in rows if students is None or r["student"] in students]


def autograded_score(result) -> float:
    return sum(g["score"] for nb in result.notebooks.values() for g in nb["grades"].values()
               if g["auto"])


def summary_text(result) -> str:
    return " | ".join(result.all_messages() + result.flags() + result.review()).lower()


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    require_sandbox()
    root = tmp_path_factory.mktemp("batch") / "course"
    course = make_course(root, sorted(EXPECTED))
    coordinator = Coordinator(course, LocalProcessExecutor(2), limits=LIMITS, progress=False)
    summary = coordinator.run()
    results = {r.student: r for r in summary.graded}
    return course, summary, results


# -- the API -----------------------------------------------------------------------------------


def test_student_version_has_no_solution_and_no_hidden_tests(tmp_path):
    course = Course(root=tmp_path / "course", source=SOURCE)
    (folder,) = generate_student_versions(course, [ASSIGNMENT])
    text = (folder / f"{ASSIGNMENT}.ipynb").read_text()
    assert "return x * x" not in text and "return x ** 3" not in text
    assert "BEGIN SOLUTION" not in text and "HIDDEN" not in text
    assert not [line for line in HIDDEN_LINES if line in text]
    assert "raise NotImplementedError" in text
    assert 'assert square(3) == 9' in text  # visible tests stay


# -- bad submissions: one graded batch, one test each -------------------------------------------


def test_batch_finished_and_graded_each_submission_once(batch):
    course, summary, results = batch
    assert summary.failed == []
    assert sorted(results) == sorted(EXPECTED)
    with Coordinator(course, SerialExecutor()).gradebook() as gb:
        journal = gb.db.execute(JOURNAL.select()).fetchall()
        submissions = gb.db.execute(
            nbformat_text("select count(*) from submitted_assignment")).scalar()
        grades = gb.db.execute(nbformat_text("select count(*) from grade")).scalar()
    assert len(journal) == len(EXPECTED) == submissions
    assert grades == 3 * len(EXPECTED)  # three graded cells each, never doubled
    table = summary.table()
    assert f"graded {len(EXPECTED)}, failed 0" in table


def nbformat_text(sql):
    from sqlalchemy import text

    return text(sql)


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_bad_submission(batch, student):
    _, summary, results = batch
    expected_score, expected_text = EXPECTED[student]
    result = results[student]
    assert autograded_score(result) == expected_score, summary_text(result)
    if expected_text:
        assert expected_text in summary_text(result)
        assert expected_text in summary.table().lower()
    if student in ENDINGS:  # one message per kind of ending, never a limit or a pass
        assert ENDINGS[student] in summary_text(result)
        assert "exceeded the time limit" not in summary_text(result)
        assert "hit the memory limit" not in summary_text(result)
    if student.startswith("flood_"):  # stopped by the output cap, not by memory or time
        assert "hit the memory limit" not in summary_text(result)
        assert "exceeded the time limit" not in summary_text(result)
    # the good student's grades are untouched by everybody else's misbehaviour
    assert autograded_score(results["good"]) == 5


def test_faked_tests_are_flagged_for_manual_review(batch):
    course, _, results = batch
    with Coordinator(course, SerialExecutor()).gradebook() as gb:
        for student in ("fake_eq", "forge_lying_numbers", "forge_guard_probe",
                        "forge_removed_agent"):
            assert results[student].flags(), student
            flagged = [g for nb in gb.find_submission(ASSIGNMENT, student).notebooks
                       for g in nb.grades if g.needs_manual_grade and g.auto_score == 0]
            assert flagged, student


def test_hidden_tests_never_reach_the_kernel(batch):
    """History, hooks, tracing and the executing request show no test source at all."""
    _, _, results = batch
    nb = nbformat.reads(results["secret_history"].notebooks[ASSIGNMENT]["autograded"], 4)
    printed = json.dumps([c.outputs for c in nb.cells if c.cell_type == "code"])
    assert "IN:" in printed and "LOG:" in printed and "HISTORY:" in printed  # it ran
    for fragment in HIDDEN_LINES + ["HIDDEN-SQUARE-SENTINEL", "HIDDEN-CUBE-SENTINEL",
                                    "square(3)", "check_close(cube"]:
        assert fragment not in printed, fragment


def test_harness_outputs_decide_the_score(batch):
    """A failing test cell has its error first, never an execute_result (no partial credit)."""
    _, _, results = batch
    nb = nbformat.reads(results["forge_result_then_error"].notebooks[ASSIGNMENT]["autograded"],
                        4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution") and cell.cell_type == "code":
            assert cell.outputs[0]["output_type"] == "error", cell.outputs
            assert all(o["output_type"] != "execute_result" for o in cell.outputs)


def test_sandbox_hid_everything_outside_the_submission(batch):
    _, _, results = batch
    nb = nbformat.reads(results["read_outside"].notebooks[ASSIGNMENT]["autograded"], 4)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                      for o in c.outputs)
    assert "visible outside my folder: []" in printed
    nb = nbformat.reads(results["open_socket"].notebooks[ASSIGNMENT]["autograded"], 4)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                      for o in c.outputs)
    assert "Network is unreachable" in printed or "Name or service not known" in printed \
        or "Temporary failure" in printed


def test_feedback_has_no_hidden_test_code(batch):
    course, _, _ = batch
    made = generate_feedback(course)
    assert len(made) >= len(EXPECTED) - 2  # corrupt and missing notebooks have none
    assert HIDDEN_LINES
    for html in made:
        text = html.read_text()
        assert "square(3)" in text  # the visible tests are there ...
        leaked = [line for line in HIDDEN_LINES if line in text]
        assert not leaked, (html, leaked)  # ... the hidden ones are not
        for fragment in ("HIDDEN-SQUARE-SENTINEL", "HIDDEN-CUBE-SENTINEL", "square(-4)",
                         "cube(-3.0)", "_treeprop_eq_", "treeprop canary"):
            assert fragment not in text, (html, fragment)


def test_csv_matches_the_gradebook_and_the_results(batch, tmp_path):
    from autograder.coordinator import write_csv

    course, _, results = batch
    path = write_csv(course, tmp_path / "grades.csv")
    rows = list(csv.DictReader(path.open()))
    per_notebook = {r["student"]: r for r in rows if r["assignment"] == ASSIGNMENT}
    totals = {r["student"]: r for r in rows if r["assignment"] == "TOTAL"}
    assert sorted(per_notebook) == sorted(totals) == sorted(EXPECTED)
    with Coordinator(course, SerialExecutor()).gradebook() as gb:
        for student, row in per_notebook.items():
            submission = gb.find_submission(ASSIGNMENT, student)
            assert float(row["score"]) == pytest.approx(submission.score)
            assert float(row["score"]) == pytest.approx(results[student].score())
            assert float(row["max_score"]) == 6.0
            assert float(totals[student]["score"]) == float(row["score"])


def test_rerun_is_idempotent(batch):
    course, _, _ = batch
    before = csv_rows(course)
    again = Coordinator(course, LocalProcessExecutor(2), limits=LIMITS, progress=False).run()
    assert again.graded == [] and again.failed == []
    assert again.skipped == len(EXPECTED)
    assert csv_rows(course) == before


def test_no_master_and_no_student_can_send_tests_into_the_kernel(tmp_path):
    """``treeprop.tests_in_kernel`` (an opt-out of an earlier version) is ignored wherever it
    is written: the tests still run in the harness, so hidden tests stay out of the kernel's
    history and a trace that skips asserts gains nothing."""
    require_sandbox()
    source = tmp_path / "source"
    shutil.copytree(SOURCE, source)
    for path in [source / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"]:
        nb = nbformat.read(path, 4)
        nb.metadata["treeprop"] = {"tests_in_kernel": True}
        nbformat.write(nb, path)
    course = Course(root=tmp_path / "course", source=source)
    for student in ("secret_history", "forge_settrace"):
        shutil.copytree(SUBMISSIONS / student, course.submitted / student)
        path = course.submitted / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        nb = nbformat.read(path, 4)
        nb.metadata["treeprop"] = {"tests_in_kernel": True}
        nbformat.write(nb, path)
    summary = Coordinator(course, SerialExecutor(), limits=LIMITS, progress=False).run()
    results = {r.student: r for r in summary.graded}
    assert summary.failed == []
    assert autograded_score(results["forge_settrace"]) == 0
    assert autograded_score(results["secret_history"]) == 5
    nb = nbformat.reads(results["secret_history"].notebooks[ASSIGNMENT]["autograded"], 4)
    printed = json.dumps([c.outputs for c in nb.cells if c.cell_type == "code"])
    assert "HISTORY:" in printed  # it ran and printed what the kernel saw
    for fragment in HIDDEN_LINES + ["HIDDEN-SQUARE-SENTINEL", "treeprop canary"]:
        assert fragment not in printed, fragment


@pytest.mark.parametrize("value", [7, None, ["test", "square"], ""])
def test_a_master_grade_id_that_is_not_a_string_is_named_with_its_cell(tmp_path, value):
    """Refused before anything is released or graded, by notebook and cell: never nbgrader's
    schema traceback, never a grade recorded under a key that is not the cell's id."""
    from autograder.course import MasterError

    source = tmp_path / "source"
    shutil.copytree(SOURCE, source)
    path = source / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(path, 4)
    index = next(i for i, c in enumerate(nb.cells)
                 if c.metadata.get("nbgrader", {}).get("grade_id") == "test_square")
    nb.cells[index].metadata["nbgrader"]["grade_id"] = value
    nbformat.write(nb, path)
    course = Course(root=tmp_path / "course", source=source)
    with pytest.raises(MasterError) as caught:
        generate_student_versions(course, [ASSIGNMENT])
    said = str(caught.value)
    assert f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb, cell {index} (code cell starting 'assert " \
           "square(3) == 9" in said, said
    assert f"grade_id is {json.dumps(value)}" in said and "must be a non-empty string" in said
    shutil.copytree(SUBMISSIONS / "good", course.submitted / "good")
    for command in ("release", "grade"):
        run = subprocess.run(
            [sys.executable, "-m", "autograder", "--course", str(course.root), "--source",
             str(source), command, *(["--no-progress"] if command == "grade" else [])],
            env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(AUTOGRADER_DIR), str(ROOT)])),
            cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert run.returncode == 1, (command, run.stdout, run.stderr)
        assert f"cell {index} (code cell" in run.stderr and "Traceback" not in run.stderr, \
            (command, run.stderr[-2000:])
    assert not list(course.root.glob("autograded/*/*")), "nothing graded with a broken master"


# -- resubmission, interruption, LMS zip, PostgreSQL ------------------------------------------


def test_resubmission_is_regraded(tmp_path):
    require_sandbox()
    course = make_course(tmp_path / "course", ["good", "blank"])
    first = Coordinator(course, SerialExecutor(), limits=LIMITS, progress=False).run()
    assert {r.student: autograded_score(r) for r in first.graded} == {"good": 5, "blank": 0}
    # blank resubmits the good work later
    target = course.submitted / "blank" / ASSIGNMENT
    shutil.copy(SUBMISSIONS / "good" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", target)
    (target / "timestamp.txt").write_text("2026-11-22 09:00:00.000000 UTC")
    second = Coordinator(course, SerialExecutor(), limits=LIMITS, progress=False).run()
    assert [r.student for r in second.graded] == ["blank"] and second.skipped == 1
    rows = {r["student"]: r for r in csv_rows(course) if r["assignment"] == ASSIGNMENT}
    assert rows["blank"]["score"] == rows["good"]["score"] == 5.0
    with Coordinator(course, SerialExecutor()).gradebook() as gb:
        stamp = gb.find_submission(ASSIGNMENT, "blank").timestamp
    assert stamp.day == 22


def _cli(course: Course, *args, db_url=None, **popen):
    command = [sys.executable, "-m", "autograder", "--course", str(course.root), "--source",
               str(SOURCE)]
    if db_url:
        command += ["--db-url", db_url]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(AUTOGRADER_DIR), str(ROOT)]))
    return subprocess.Popen(command + list(args), env=env, cwd=ROOT, **popen)


def test_kill_9_mid_run_loses_nothing(batch, tmp_path):
    _, _, _ = batch
    students = ["good", "blank", "test_edited", "fake_eq", "renamed_notebook", "test_deleted"]
    course = make_course(tmp_path / "course", students)
    grade = ["--workers", "1", "grade", "--no-progress", "--cell-seconds", "6",
             "--notebook-seconds", "45"]
    run = _cli(course, *grade, start_new_session=True, stdout=subprocess.DEVNULL,
               stderr=subprocess.DEVNULL)
    db = course.root / "gradebook.db"
    recorded = 0
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and run.poll() is None:
        try:
            with sqlite3.connect(db, timeout=1) as conn:
                recorded = conn.execute("select count(*) from treeprop_grading").fetchone()[0]
        except sqlite3.Error:
            recorded = 0
        if recorded >= 2:
            break
        time.sleep(0.2)
    assert run.poll() is None, "the run finished before it could be interrupted"
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    with sqlite3.connect(db) as conn:
        interrupted = conn.execute("select count(*) from treeprop_grading").fetchone()[0]
    assert 2 <= interrupted < len(students)
    finish = _cli(course, *grade, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out, _ = finish.communicate(timeout=400)
    assert finish.returncode == 0, out
    assert f"graded {len(students) - interrupted}, failed 0" in out
    assert f"already up to date {interrupted}" in out
    # the same CSV as the uninterrupted batch, for these students
    batch_course = batch[0]
    assert csv_rows(course) == csv_rows(batch_course, set(students))


def test_lms_zip_is_collected_and_graded(tmp_path):
    require_sandbox()
    course = Course(root=tmp_path / "course", source=SOURCE)
    archive = tmp_path / "lms-export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for student, who in (("alice", "good"), ("bob", "blank")):
            zf.write(SUBMISSIONS / who / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                     f"{student}_{ASSIGNMENT}.ipynb")
    run = _cli(course, "--workers", "1", "grade", "--lms-zip", str(archive), "--assignment",
               ASSIGNMENT, "--no-progress", stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
               text=True)
    out, _ = run.communicate(timeout=300)
    assert run.returncode == 0, out
    rows = {r["student"]: r for r in csv_rows(course) if r["assignment"] == ASSIGNMENT}
    assert rows["alice"]["score"] == 5.0 and rows["bob"]["score"] == 0.0


def test_release_makes_student_versions_and_a_pack(tmp_path):
    pack = tmp_path / "pack.zip"
    run = _cli(Course(root=tmp_path / "course", source=SOURCE), "release", "--pack", str(pack),
               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out, _ = run.communicate(timeout=300)
    assert run.returncode == 0, out
    names = zipfile.ZipFile(pack).namelist()
    assert f"treeprop-course/notebooks/{ASSIGNMENT}/{ASSIGNMENT}.ipynb" in names
    assert "treeprop-course/src/treeprop/__init__.py" in names
    assert "treeprop-course/README.md" in names
    if (ROOT / "environment.yml").exists():
        assert "treeprop-course/environment.yml" in names
    student = zipfile.ZipFile(pack).read(
        f"treeprop-course/notebooks/{ASSIGNMENT}/{ASSIGNMENT}.ipynb").decode()
    assert "return x * x" not in student and "HIDDEN" not in student


@pytest.mark.postgres
def test_parallel_grading_on_postgresql(batch, tmp_path):
    from tests.autograder.pg import postgres_server

    require_sandbox()
    students = ["good", "blank", "fake_eq", "test_deleted", "os_exit", "extra_notebook"]
    with postgres_server(tmp_path / "pg") as url:
        course = make_course(tmp_path / "course", students, db_url=url)
        summary = Coordinator(course, LocalProcessExecutor(2), limits=LIMITS,
                              progress=False).run()
        assert summary.failed == [] and len(summary.graded) == len(students)
        again = Coordinator(course, LocalProcessExecutor(2), limits=LIMITS,
                            progress=False).run()
        assert again.graded == [] and again.skipped == len(students)
        with Coordinator(course, SerialExecutor()).gradebook() as gb:
            assert gb.db.execute(nbformat_text(
                "select count(*) from submitted_assignment")).scalar() == len(students)
            assert gb.db.execute(nbformat_text("select count(*) from grade")).scalar() == \
                3 * len(students)
        assert csv_rows(course) == csv_rows(batch[0], set(students))

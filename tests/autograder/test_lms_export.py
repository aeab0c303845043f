"""``export --format canvas|moodle``: the exact files an LMS imports, from a real gradebook.

The gradebook is nbgrader's own (SQLite), filled with nbgrader's API the way the autograder and
the formgrader fill it (no kernels run: grading itself is tested elsewhere). Every test writes
real files through the command line ``make export`` runs and reads them back byte for byte.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "autograder") not in sys.path:
    sys.path.insert(0, str(ROOT / "autograder"))

from autograder.course import Course, generate_student_versions  # noqa: E402
from autograder.lms_export import ExportError, collect_grades, read_roster  # noqa: E402

pytestmark = [pytest.mark.autograder, pytest.mark.slow]  # real nbgrader, a few seconds
SOURCE = ROOT / "tests" / "autograder" / "fixtures" / "source"
ASSIGNMENT = "fx01_squares"
# test_square 2, test_cube 3 (autograded), explain 1 (by hand): 6 points
SCORES = {"ann": {"test_square": 2, "test_cube": 3, "explain": 1},
          "bob": {"test_square": 0, "test_cube": 1.5, "explain": 0.5},
          "cy": {"test_square": 2, "test_cube": 0, "explain": None}}  # None: awaiting a hand grade
ROSTER = ('student_id,Name,Canvas ID,SIS User ID,SIS Login ID,Section,Email,ID number\n'
          'ann,"Smith, Ann",101,S-1,asmith,Sec A,ann@example.org,9001\n'
          'bob,"O\'Brien, Bob ""Bobby""",102,S-2,bobrien,Sec B,bob@example.org,9002\n'
          'cy,"Zoë, Cy",103,S-3,czoe,Sec A,cy@example.org,9003\n'
          'dee,"Dee, Dee",104,S-4,ddee,Sec B,dee@example.org,9004\n')


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Course:
    import warnings

    from nbgrader.api import Gradebook

    warnings.filterwarnings("ignore", message=".*not in session.*")  # nbgrader's own ORM
    root = tmp_path_factory.mktemp("lms") / "course"
    course = Course(root=root, source=SOURCE)
    generate_student_versions(course, [ASSIGNMENT])
    with Gradebook(course.db_url, course.course_id) as gb:
        for student, scores in SCORES.items():
            gb.update_or_create_student(student)
            gb.update_or_create_submission(ASSIGNMENT, student)
            for cell, score in scores.items():
                grade = gb.find_grade(cell, ASSIGNMENT, ASSIGNMENT, student)
                if cell == "explain":
                    grade.manual_score = score
                    grade.needs_manual_grade = score is None
                else:
                    grade.auto_score = score
                    grade.needs_manual_grade = False
        gb.db.commit()
    return course


def export(course: Course, out: Path, *args: str) -> subprocess.CompletedProcess:
    """``python -m autograder ... export`` run in this process (the parser and dispatch ``make
    export`` uses); its exit code, stdout and stderr."""
    import contextlib
    import io

    from autograder.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    argv = ["--course", str(course.root), "--source", str(SOURCE), "export", "--csv", str(out),
            *args]
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(argv)
    return subprocess.CompletedProcess(argv, code, stdout.getvalue(), stderr.getvalue())


def export_command(course: Course, out: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(ROOT / "autograder"), "PATH": str(Path(sys.executable).parent)
           + ":/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "autograder", "--course", str(course.root),
                           "--source", str(SOURCE), "export", "--csv", str(out), *args],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)


def rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@pytest.fixture
def roster(tmp_path) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    return path


def test_totals_come_from_the_gradebook(course):
    grades = collect_grades(course)
    assert grades.assignments == [ASSIGNMENT]
    assert grades.max_scores == {ASSIGNMENT: 6.0}
    by_id = {s.student_id: s for s in grades.students}
    assert by_id["ann"].scores == {ASSIGNMENT: 6.0}
    assert by_id["bob"].scores == {ASSIGNMENT: 2.0}
    assert by_id["cy"].scores == {ASSIGNMENT: 2.0}
    assert by_id["cy"].pending == [f"{ASSIGNMENT}/{ASSIGNMENT}"] and not by_id["ann"].pending


def test_canvas_layout_with_a_roster(course, roster, tmp_path):
    out = tmp_path / "canvas.csv"
    done = export_command(course, out, "--format", "canvas", "--roster", str(roster),
                          "--allow-pending")
    assert done.returncode == 0, done.stderr
    assert "1 notebook(s) still await a hand grade" in done.stdout
    assert rows(out) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", ASSIGNMENT],
        ["    Points Possible", "", "", "", "", "6"],
        ["Smith, Ann", "101", "S-1", "asmith", "Sec A", "6"],
        ['O\'Brien, Bob "Bobby"', "102", "S-2", "bobrien", "Sec B", "2"],
        ["Zoë, Cy", "103", "S-3", "czoe", "Sec A", "2"],
        ["Dee, Dee", "104", "S-4", "ddee", "Sec B", "0"],  # on the roster, nothing handed in
    ]
    # quoting as Canvas's CSV parser expects it (RFC 4180), CRLF line ends
    raw = out.read_bytes().decode("utf-8")
    assert raw.startswith("Student,ID,SIS User ID,SIS Login ID,Section,fx01_squares\r\n"
                          "    Points Possible,,,,,6\r\n\"Smith, Ann\",101,S-1,asmith,Sec A,6\r\n")
    assert '"O\'Brien, Bob ""Bobby""",102' in raw


def test_moodle_layout_with_a_roster(course, roster, tmp_path):
    out = tmp_path / "moodle.csv"
    done = export(course, out, "--format", "moodle", "--roster", str(roster), "--allow-pending")
    assert done.returncode == 0, done.stderr
    assert rows(out) == [
        ["Email address", "ID number", ASSIGNMENT],
        ["ann@example.org", "9001", "6"],
        ["bob@example.org", "9002", "2"],
        ["cy@example.org", "9003", "2"],
        ["dee@example.org", "9004", "0"],
    ]


def test_without_a_roster_the_nbgrader_id_is_the_login(course, tmp_path):
    canvas, moodle = tmp_path / "c.csv", tmp_path / "m.csv"
    assert export(course, canvas, "--format", "canvas", "--allow-pending").returncode == 0
    assert export(course, moodle, "--format", "moodle", "--allow-pending").returncode == 0
    assert rows(canvas) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", ASSIGNMENT],
        ["    Points Possible", "", "", "", "", "6"],
        ["ann", "", "", "ann", "", "6"], ["bob", "", "", "bob", "", "2"],
        ["cy", "", "", "cy", "", "2"]]
    assert rows(moodle) == [["Username", ASSIGNMENT], ["ann", "6"], ["bob", "2"], ["cy", "2"]]


def test_pending_hand_grades_stop_an_lms_export(course, roster, tmp_path):
    out = tmp_path / "canvas.csv"
    done = export(course, out, "--format", "canvas", "--roster", str(roster))
    assert done.returncode == 2
    assert "1 notebook(s) still await a hand grade" in done.stderr
    assert f"cy: {ASSIGNMENT}/{ASSIGNMENT}" in done.stderr and "--allow-pending" in done.stderr
    assert not out.exists()


def test_a_graded_student_missing_from_the_roster_is_an_error(course, tmp_path):
    roster = tmp_path / "short.csv"
    roster.write_text("student_id,email\nann,ann@example.org\ncy,cy@example.org\n")
    out = tmp_path / "moodle.csv"
    done = export(course, out, "--format", "moodle", "--roster", str(roster), "--allow-pending")
    assert done.returncode == 2
    assert "graded but not in the roster (their grades would be lost): bob" in done.stderr
    assert not out.exists()


def test_moodle_needs_an_identity_for_everyone(course, tmp_path):
    roster = tmp_path / "gaps.csv"
    roster.write_text("student_id,email\nann,ann@example.org\nbob,\ncy,cy@example.org\n")
    done = export(course, tmp_path / "m.csv", "--format", "moodle", "--roster", str(roster),
                  "--allow-pending")
    assert done.returncode == 2 and "no email in the roster for: bob" in done.stderr


@pytest.mark.parametrize("text, message", [
    ("id,email\nann,a@x\n", "unknown column(s) id"),
    ("name,email\nAnn,a@x\n", "needs a student_id column"),
    ("student_id,email\nann,a@x\nann,b@x\n", "line 3: student ann listed twice"),
    ("student_id,email\nann,a@x,extra\n", "line 2: 3 values for 2 columns"),
    ("student_id,email\n,a@x\n", "line 2: empty student_id"),
    ("", "is empty"),
])
def test_bad_rosters_are_refused_with_the_line(tmp_path, text, message):
    path = tmp_path / "roster.csv"
    path.write_text(text)
    with pytest.raises(ExportError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_roster(path)


def test_the_plain_csv_is_still_the_default(course, tmp_path):
    out = tmp_path / "grades.csv"
    done = export(course, out)
    assert done.returncode == 0, done.stderr
    table = rows(out)
    assert table[0] == ["student", "assignment", "notebook", "score", "max_score",
                        "needs_manual_grade", "status"]
    assert ["ann", ASSIGNMENT, ASSIGNMENT, "6.0", "6.0", "False", "graded"] in table


@pytest.mark.parametrize("command", [["report"], ["export", "--format", "canvas"],
                                     ["export", "--format", "moodle"], ["formgrade"]])
def test_a_course_without_a_gradebook_is_an_error_not_an_empty_one(tmp_path, command):
    import contextlib
    import io

    from autograder.cli import main

    course = tmp_path / "typo"
    argv = ["--course", str(course), *command]
    if command[0] == "export":
        argv += ["--csv", str(tmp_path / "out.csv")]
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    assert code == 2
    assert f"no gradebook at {course / 'gradebook.db'}" in err.getvalue()
    assert not course.exists() and not (tmp_path / "out.csv").exists()


def test_lms_files_get_their_own_default_path(course, tmp_path, monkeypatch):
    import contextlib
    import io

    from autograder.cli import main

    monkeypatch.chdir(tmp_path)
    for fmt, name in (("canvas", "grades-canvas.csv"), ("moodle", "grades-moodle.csv"),
                      ("csv", "grades.csv")):
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["--course", str(course.root), "export", "--format", fmt,
                         "--allow-pending"]) == 0
        assert (tmp_path / "build" / name).is_file(), fmt
    assert rows(tmp_path / "build" / "grades.csv")[0][0] == "student"  # not overwritten
    assert rows(tmp_path / "build" / "grades-canvas.csv")[0][0] == "Student"

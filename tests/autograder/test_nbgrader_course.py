"""Another nbgrader course (geom101, tests/autograder/nbgrader_course/) graded two ways.

The same course and the same four submissions go through plain ``nbgrader
generate_assignment`` + ``nbgrader autograde`` (in one temporary copy) and through
``python -m autograder students`` + ``grade`` + ``feedback`` + ``export`` (in another). The
course's own ``nbgrader_config.py`` must be honoured (course id, nbgrader's code stub, its
text stub, header, ignore list, cell timeout), and the gradebooks must agree cell by cell:
points, needs-manual flags and nbgrader's comments ("No response.").
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import warnings
from argparse import Namespace
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
AUTOGRADER_DIR = ROOT / "autograder"
if str(AUTOGRADER_DIR) not in sys.path:
    sys.path.insert(0, str(AUTOGRADER_DIR))

from autograder.cli import _limits  # noqa: E402
from autograder.course import Course, CourseConfigError  # noqa: E402

from tests.conftest import require_sandbox  # noqa: E402

pytestmark = [pytest.mark.autograder]

FIXTURE = ROOT / "tests" / "autograder" / "nbgrader_course"
BIN = Path(sys.executable).parent
STUDENTS = ["old_format", "right", "untouched", "wrong"]
NBGRADER_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


def _env() -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(AUTOGRADER_DIR), str(ROOT)]))
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")  # nbgrader calls alembic
    env.pop("JUPYTER_CONFIG_DIR", None)
    return env


def _run(command: list[str], cwd: Path, timeout: int = 600) -> str:
    done = subprocess.run(command, cwd=cwd, env=_env(), capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _make_submissions(release: Path, submitted: Path) -> None:
    _run([sys.executable, str(FIXTURE / "make_submissions.py"), str(release),
          str(submitted)], cwd=release)


def gradebook_cells(course_root: Path, course_id: str) -> dict:
    """(student, notebook, cell, kind) -> what the gradebook holds for it, every cell."""
    from nbgrader.api import Gradebook

    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook("sqlite:///" + str(course_root / "gradebook.db"), course_id) as gb:
            for assignment in gb.assignments:
                for student in gb.students:
                    for notebook in assignment.notebooks:
                        sn = gb.find_submission_notebook(notebook.name, assignment.name,
                                                         student.id)
                        for g in sn.grades:
                            out[(student.id, notebook.name, g.name, "grade")] = (
                                g.auto_score, g.manual_score, g.needs_manual_grade,
                                g.max_score)
                        for c in sn.comments:
                            out[(student.id, notebook.name, c.name, "comment")] = (
                                c.auto_comment, c.manual_comment)
    return out


@pytest.fixture(scope="module")
def courses(tmp_path_factory):
    """(plain nbgrader's course, ours, the output of our grade command)."""
    require_sandbox()
    base = tmp_path_factory.mktemp("geom101")
    plain, ours = base / "plain", base / "ours"
    for folder in (plain, ours):
        shutil.copytree(FIXTURE, folder, ignore=shutil.ignore_patterns("__pycache__"))
    # plain nbgrader, run from the course folder as its documentation says
    _run([str(BIN / "nbgrader"), "generate_assignment", "shapes"], cwd=plain)
    _make_submissions(plain / "release" / "shapes", plain / "submitted")
    _run([str(BIN / "nbgrader"), "autograde", "shapes"], cwd=plain)
    # ours, run from elsewhere (the repository) with the course named on the command line
    grader = [sys.executable, "-m", "autograder", "--course", str(ours)]
    _run(grader + ["students"], cwd=ROOT)
    # the very files plain nbgrader graded: students who got plain nbgrader's release
    shutil.copytree(plain / "submitted", ours / "submitted")
    graded = _run(grader + ["--workers", "2", "grade", "--no-progress"], cwd=ROOT)
    _run(grader + ["feedback"], cwd=ROOT)
    _run(grader + ["export", "--csv", str(base / "grades.csv")], cwd=ROOT)
    return plain, ours, graded


# -- the course's own configuration -------------------------------------------------------------

def test_course_config_is_loaded_and_wins_over_treeprops(tmp_path):
    root = tmp_path / "geom101"
    shutil.copytree(FIXTURE, root)
    course = Course.open(root)
    config = course.config()
    assert course.course_id == "geom101"
    assert course.source == (root / "source").resolve()
    assert config.ClearSolutions.code_stub == {"python": NBGRADER_STUB}
    assert config.ClearSolutions.text_stub == "Write your answer here."
    assert config.IncludeHeaderFooter.header == str((root / "source" / "header.ipynb")
                                                   .resolve())
    assert "scratch*" in course.ignore()
    assert course.cell_timeout() == 20
    assert course.grading_settings()["CourseDirectory"] == {
        "course_id": "geom101", "ignore": course.ignore()}
    # the cell timeout becomes the grading limit, unless the command line says otherwise
    args = Namespace(cell_seconds=None, notebook_seconds=None)
    assert _limits(args, course).cell_seconds == 20
    assert _limits(Namespace(cell_seconds="7", notebook_seconds=None), course).cell_seconds == 7
    # where the course lives is decided here, never by the file
    assert config.CourseDirectory.root == str(root.resolve())
    # treeprop's own course (no config file) keeps treeprop's settings
    treeprop = Course(root=tmp_path / "plain_course")
    assert treeprop.course_id == "treeprop"
    assert "Exercise not done yet" in treeprop.config().ClearSolutions.code_stub["python"]
    assert treeprop.cell_timeout() is None


def test_a_broken_course_config_stops_with_its_name(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.Nope.x = undefined\n")
    with pytest.raises(CourseConfigError, match="nbgrader_config.py"):
        Course.open(tmp_path)


@pytest.mark.slow
def test_release_follows_the_course_config(courses):
    plain, ours, _ = courses
    released = ours / "release" / "shapes"
    nb = nbformat.read(released / "shapes.ipynb", as_version=4)
    assert nb.cells[0].source.startswith("# geom101"), "the header notebook comes first"
    sources = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in nb.cells}
    assert sources["triangle_area"].endswith(
        "    # YOUR CODE HERE\n    raise NotImplementedError()")  # nbgrader's stub, indented
    assert sources["why_area"] == "Write your answer here."
    assert "MARK SCHEME" not in sources["draw_height"]
    assert sorted(p.name for p in released.iterdir()) == ["shapes.ipynb", "triangle.png"]
    # the same student version as plain nbgrader's, cell by cell
    theirs = nbformat.read(plain / "release" / "shapes" / "shapes.ipynb", as_version=4)
    assert [c.source for c in nb.cells] == [c.source for c in theirs.cells]
    assert [c.metadata.get("nbgrader") for c in nb.cells] == \
        [c.metadata.get("nbgrader") for c in theirs.cells]  # checksums included


# -- the same grades as plain nbgrader ---------------------------------------------------------

@pytest.mark.slow
def test_grades_equal_plain_nbgrader_cell_by_cell(courses):
    plain, ours, _ = courses
    theirs = gradebook_cells(plain, "geom101")
    mine = gradebook_cells(ours, "geom101")
    assert len(theirs) == 4 * 9  # 4 students x (5 grades + 4 comments)
    different = {key: (theirs.get(key), mine.get(key)) for key in set(theirs) | set(mine)
                 if theirs.get(key) != mine.get(key)}
    assert different == {}
    # and what that means: an untouched answer scores 0 with nbgrader's comment
    assert mine[("untouched", "shapes", "why_area", "grade")] == (0.0, None, False, 2.0)
    assert mine[("untouched", "shapes", "triangle_area", "comment")] == ("No response.", None)
    assert mine[("old_format", "shapes", "hypotenuse", "comment")] == ("No response.", None)
    assert mine[("right", "shapes", "why_area", "grade")] == (None, None, True, 2.0)
    assert mine[("right", "shapes", "test_triangle_area_hidden", "grade")][0] == 1.0
    assert mine[("wrong", "shapes", "test_hypotenuse", "grade")][0] == 0.0


@pytest.mark.slow
def test_summary_and_export_totals_count_every_graded_cell(courses):
    plain, ours, graded = courses
    rows = {line.split()[0]: line.split() for line in graded.splitlines()
            if line.split()[:1] and line.split()[0] in STUDENTS}
    # 2 + 1 + 2 test points, 2 for the written answer, 1 for the task: 8 in all
    assert {s: rows[s][2] for s in STUDENTS} == {
        "old_format": "3/8", "right": "5/8", "untouched": "0/8", "wrong": "0/8"}
    assert all("needs manual grading" in " ".join(rows[s]) for s in STUDENTS)  # the task
    with open(ours.parent / "grades.csv", newline="") as handle:
        totals = {r["student"]: r for r in csv.DictReader(handle) if r["assignment"] == "TOTAL"}
    assert {s: float(totals[s]["max_score"]) for s in STUDENTS} == dict.fromkeys(STUDENTS, 8.0)
    assert float(totals["right"]["score"]) == 5.0
    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///" + str(plain / "gradebook.db"), "geom101") as gb:
        assert gb.find_assignment("shapes").max_score == 8.0  # plain nbgrader agrees


# -- files and formats ----------------------------------------------------------------------------

@pytest.mark.slow
def test_other_files_reach_autograded_and_feedback_as_with_nbgrader(courses):
    plain, ours, _ = courses
    image = (FIXTURE / "source" / "shapes" / "triangle.png").read_bytes()
    for student in STUDENTS:
        theirs = sorted(p.name for p in (plain / "autograded" / student / "shapes").iterdir())
        mine = sorted(p.name for p in (ours / "autograded" / student / "shapes").iterdir())
        assert mine == theirs == ["shapes.ipynb", "triangle.png"]  # no scratch notes
        assert (ours / "autograded" / student / "shapes" / "triangle.png").read_bytes() == image
        feedback = ours / "feedback" / student / "shapes"
        assert (feedback / "triangle.png").read_bytes() == image
        page = (feedback / "shapes.html").read_text()
        assert 'src="triangle.png"' in page  # the markdown's image, beside the page


@pytest.mark.slow
def test_old_format_notebook_stays_valid(courses):
    plain, ours, _ = courses
    path = ours / "autograded" / "old_format" / "shapes" / "shapes.ipynb"
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)  # raises on a cell id in a 4.0 notebook
    theirs = nbformat.read(plain / "autograded" / "old_format" / "shapes" / "shapes.ipynb",
                           as_version=4)
    assert (nb.nbformat, nb.nbformat_minor) == (theirs.nbformat, theirs.nbformat_minor) == (4, 0)
    assert not any("id" in cell for cell in nb.cells)
    for student in ("right", "wrong", "untouched"):  # 4.5 notebooks keep unique ids
        nb = nbformat.read(ours / "autograded" / student / "shapes" / "shapes.ipynb",
                           as_version=4)
        nbformat.validate(nb)
        ids = [cell["id"] for cell in nb.cells]
        assert len(set(ids)) == len(ids)


@pytest.mark.slow
def test_feedback_marks_the_task_pending_and_hides_its_mark_scheme(courses):
    _, ours, _ = courses
    page = (ours / "feedback" / "right" / "shapes" / "shapes.html").read_text()
    assert "has not been graded by hand yet" in page
    assert "`draw_height`" in page or "draw_height" in page
    assert "MARK SCHEME" not in page and "from the opposite corner" not in page
    untouched = (ours / "feedback" / "untouched" / "shapes" / "shapes.html").read_text()
    assert "No response." in untouched
    # the formgrader's copy keeps the scheme, in the task and in its rubric cell
    nb = nbformat.read(ours / "autograded" / "right" / "shapes" / "shapes.ipynb", as_version=4)
    task = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("task")]
    assert len(task) == 1 and "=== BEGIN MARK SCHEME ===" in task[0].source
    assert sum("from the opposite corner" in c.source for c in nb.cells) == 2


@pytest.mark.slow
def test_release_pack_holds_this_course_only(courses):
    _, ours, _ = courses
    out = _run([sys.executable, "-m", "autograder", "--course", str(ours), "release",
                "--skip-students"], cwd=ROOT)
    pack = ours.parent / "geom101-student-pack.zip"  # named by the course id, beside it
    assert str(pack) in out
    import zipfile

    with zipfile.ZipFile(pack) as zf:
        assert sorted(zf.namelist()) == ["geom101-course/README.md",
                                         "geom101-course/shapes/shapes.ipynb",
                                         "geom101-course/shapes/triangle.png"]
        assert "raise NotImplementedError()" in zf.read(
            "geom101-course/shapes/shapes.ipynb").decode()


@pytest.mark.slow
def test_formgrade_keeps_the_course_config_and_shows_every_hand_graded_cell(courses):
    from autograder import formgrade

    _, ours, _ = courses
    before = (ours / "nbgrader_config.py").read_text()
    config = formgrade.prepare(Course.open(ours))
    assert config == ours / "nbgrader_config.py" and config.read_text() == before
    rubric = nbformat.read(ours / "rubrics" / "shapes.ipynb", as_version=4)
    text = "\n".join(c.source for c in rubric.cells)
    assert "`why_area`" in text and "`draw_height`" in text  # the answer and the task
    assert "from the opposite corner" in text  # the task's mark scheme, for the grader


@pytest.mark.slow
def test_report_lists_every_graded_cell_with_its_points(courses):
    _, ours, _ = courses
    _run([sys.executable, "-m", "autograder", "--course", str(ours), "report"], cwd=ROOT)
    page = (ours / "reports" / "shapes.html").read_text()
    for cell in ("test_triangle_area", "test_triangle_area_hidden", "test_hypotenuse",
                 "why_area", "draw_height"):
        assert f'data-cell="shapes/{cell}"' in page, cell

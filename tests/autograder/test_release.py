"""`make release` packs fresh student versions; `make lab` works on its own copy.

Through make itself, on a course of its own (COURSE=, SOURCE=): the lab's edits, saved
outputs and checkpoints never reach the release or the pack, and a new release never
overwrites the lab's copy.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "tests" / "autograder" / "fixtures" / "source"
ASSIGNMENT = "fx01_squares"

pytestmark = [pytest.mark.autograder, pytest.mark.slow]


def make(*args: str) -> str:
    done = subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_release_is_fresh_and_the_lab_has_its_own_copy(tmp_path):
    course, lab = tmp_path / "course", tmp_path / "lab"
    source = tmp_path / "masters"
    shutil.copytree(SOURCE, source)
    opts = [f"COURSE={course}", f"SOURCE={source}", f"LAB_COPY={lab}"]
    out = make("lab-copy", *opts)
    assert f"fresh student version in {lab / ASSIGNMENT}" in out
    # the student works in the lab: an answer, outputs, a checkpoint
    worked = lab / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(worked, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("MY_LAB_ANSWER = 42"))
    nbformat.write(nb, worked)
    (lab / ASSIGNMENT / ".ipynb_checkpoints").mkdir()
    (lab / ASSIGNMENT / ".ipynb_checkpoints" / "x-checkpoint.ipynb").write_text("{}")
    # ... and something stale sits in the release folder from an older run
    (course / "release" / ASSIGNMENT / ".ipynb_checkpoints").mkdir()
    (course / "release" / ASSIGNMENT / "STALE.txt").write_text("old")

    out = make("release", *opts)
    pack = tmp_path / "treeprop-student-pack.zip"
    assert str(pack) in out  # next to the course, not in build/
    with zipfile.ZipFile(pack) as zf:
        names = zf.namelist()
        text = zf.read(f"treeprop-course/notebooks/{ASSIGNMENT}/{ASSIGNMENT}.ipynb").decode()
    assert "MY_LAB_ANSWER" not in text and "BEGIN SOLUTION" not in text
    assert not [n for n in names if "checkpoint" in n or n.endswith("STALE.txt")], names
    released = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    assert all(not c.get("outputs") for c in released.cells if c.cell_type == "code")

    # a new release never touches the lab's copy
    out = make("lab-copy", *opts)
    assert f"kept your work in {lab / ASSIGNMENT}" in out
    assert "MY_LAB_ANSWER" in worked.read_text()


def test_course_and_source_reach_every_command():
    out = make("-n", "grade", "export", "COURSE=/tmp/other-course", "SOURCE=/tmp/other-masters")
    grade, export = [line for line in out.splitlines() if "-m autograder" in line][:2]
    assert "--course /tmp/other-course --source '/tmp/other-masters'" in " ".join(grade.split())
    assert "--csv /tmp/grades.csv" in export  # next to the course

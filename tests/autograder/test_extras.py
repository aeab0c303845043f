"""The masters' ``extras/`` (the drawing tour, viz_demo) reach the student's lab and pack.

Through make, on a course of its own: the tour is packed beside the assignments and copied
into the lab once; hidden files and links in ``extras/`` never travel with it.
"""

from __future__ import annotations

import shutil
import zipfile

import nbformat
import pytest
from test_release import ASSIGNMENT, ROOT, SOURCE, make

pytestmark = [pytest.mark.autograder, pytest.mark.slow]
TOUR = ROOT / "notebooks" / "extras" / "viz_demo.ipynb"


def test_the_tour_ships_in_the_pack_and_the_lab(tmp_path):
    course, lab, source = tmp_path / "course", tmp_path / "lab", tmp_path / "masters"
    shutil.copytree(SOURCE, source)
    (source / "extras").mkdir()
    shutil.copy(TOUR, source / "extras" / "viz_demo.ipynb")
    (source / "extras" / ".secret").write_text("instructor only")
    secret = tmp_path / "gradebook.db"
    secret.write_text("not for students")
    (source / "extras" / "link.db").symlink_to(secret)
    opts = [f"COURSE={course}", f"SOURCE={source}", f"LAB_COPY={lab}"]

    make("release", *opts)
    with zipfile.ZipFile(tmp_path / "treeprop-student-pack.zip") as zf:
        names = set(zf.namelist())
        packed = zf.read("treeprop-course/notebooks/extras/viz_demo.ipynb")
    assert packed == TOUR.read_bytes()
    assert f"treeprop-course/notebooks/{ASSIGNMENT}/{ASSIGNMENT}.ipynb" in names
    assert not [n for n in names if n.endswith((".secret", "link.db"))], sorted(names)

    out = make("lab-copy", *opts)
    assert f"the extras (1 file(s)) in {lab / 'extras'}" in out
    tour = nbformat.read(lab / "extras" / "viz_demo.ipynb", as_version=4)
    nbformat.validate(tour)
    assert not (lab / "extras" / ".secret").exists() and not (lab / "extras" / "link.db").exists()
    # the student's work in the tour is kept on the next lab start
    tour.cells.append(nbformat.v4.new_code_cell("MY_TRY = 1"))
    nbformat.write(tour, lab / "extras" / "viz_demo.ipynb")
    out = make("lab-copy", *opts)
    assert f"kept {lab / 'extras'}" in out
    assert "MY_TRY" in (lab / "extras" / "viz_demo.ipynb").read_text()


def test_the_course_masters_ship_the_tour():
    """The real course has its tour where the lab and the pack look for it."""
    assert TOUR.is_file()
    from autograder.cli import extra_files

    assert TOUR in extra_files(ROOT / "notebooks")

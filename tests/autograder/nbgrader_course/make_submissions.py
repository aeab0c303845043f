"""Four submissions of geom101's ``shapes`` made from its released student version.

``right`` answers everything, ``wrong`` gets the code wrong, ``untouched`` hands the
release back as it is (every answer still the course's stub) and ``old_format`` answers
part A only, in an nbformat 4.0 notebook without cell ids (as older Jupyter wrote them).
The student version holds nbgrader's checksums, so the submissions are made from a fresh
release rather than kept as files: ``python make_submissions.py RELEASE_DIR SUBMITTED_DIR``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat

ANSWERS = {
    "right": {
        "triangle_area": "def triangle_area(base, height):\n    return 0.5 * base * height",
        "hypotenuse": "def hypotenuse(a, b):\n    return (a ** 2 + b ** 2) ** 0.5",
        "why_area": "The base can be any side; the height is measured at right angles to it, "
                    "so no right angle is needed.",
    },
    "wrong": {
        "triangle_area": "def triangle_area(base, height):\n    return base * height",
        "hypotenuse": "def hypotenuse(a, b):\n    return a + b",
        "why_area": "Because every triangle has a right angle somewhere.",
    },
    "untouched": {},
    "old_format": {
        "triangle_area": "def triangle_area(base, height):\n    return base * height / 2",
    },
}
OLD_FORMAT = {"old_format"}


def answered(release: Path, student: str):
    """The released notebook with ``student``'s answers in place of the stubs."""
    nb = nbformat.read(release / "shapes.ipynb", as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in ANSWERS[student]:
            cell.source = ANSWERS[student][grade_id]
    return nb


def as_nbformat_40(nb) -> str:
    """The notebook as nbformat 4.0 JSON: no cell ids, minor version 0."""
    data = json.loads(nbformat.writes(nb))
    data["nbformat_minor"] = 0
    for cell in data["cells"]:
        cell.pop("id", None)
    return json.dumps(data, indent=1)


def make_submissions(release: Path, submitted: Path) -> list[str]:
    """Write ``submitted/<student>/shapes/shapes.ipynb`` for every student; returns them."""
    for student in ANSWERS:
        folder = Path(submitted) / student / "shapes"
        folder.mkdir(parents=True, exist_ok=True)
        nb = answered(Path(release), student)
        if student in OLD_FORMAT:
            (folder / "shapes.ipynb").write_text(as_nbformat_40(nb))
        else:
            nbformat.write(nb, folder / "shapes.ipynb")
    return sorted(ANSWERS)


if __name__ == "__main__":
    print(make_submissions(Path(sys.argv[1]), Path(sys.argv[2])))

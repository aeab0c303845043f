"""Shared helpers for the notebook tests: find the masters, read nbgrader metadata, run cells.

Every course notebook lives in ``notebooks/<id>/<id>.ipynb``; the tests are
parametrized over the folders that exist, so a notebook is covered as soon as
its master is committed.
"""

from __future__ import annotations

import os
import re
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
MUTANTS = Path(__file__).resolve().parent / "mutants"

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"

#: seconds one cell may take before it counts as hung (a guard, not a benchmark)
CELL_TIMEOUT = 60


def notebook_ids() -> list[str]:
    """Ids of the course notebooks whose master exists (``01_...`` to ``09_...``)."""
    if not NOTEBOOKS.is_dir():
        return []
    return sorted(
        d.name
        for d in NOTEBOOKS.iterdir()
        if d.is_dir() and re.fullmatch(r"\d\d_[a-z0-9_]+", d.name) and master(d.name).is_file()
    )


def master(nb_id: str) -> Path:
    return NOTEBOOKS / nb_id / f"{nb_id}.ipynb"


def read(nb_id: str) -> nbformat.NotebookNode:
    return nbformat.read(master(nb_id), as_version=4)


def nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_exercise(cell) -> bool:
    """An autograded answer: solution code the tests check."""
    m = nbg(cell)
    return cell.cell_type == "code" and bool(m.get("solution")) and not m.get("grade")


def is_test(cell) -> bool:
    m = nbg(cell)
    return cell.cell_type == "code" and bool(m.get("grade")) and not m.get("solution")


def is_manual(cell) -> bool:
    m = nbg(cell)
    return bool(m.get("solution")) and bool(m.get("grade"))


def belongs_to(test_gid: str, exercise_gid: str) -> bool:
    return re.fullmatch(re.escape(exercise_gid) + r"_test(_\d+)?", test_gid) is not None


def exercises(nb) -> dict[str, int]:
    """grade_id -> cell index of every autograded-answer cell."""
    return {nbg(c)["grade_id"]: i for i, c in enumerate(nb.cells) if is_exercise(c)}


def checks_of(nb, exercise_gid: str) -> list[int]:
    return [
        i for i, c in enumerate(nb.cells)
        if is_test(c) and belongs_to(nbg(c).get("grade_id", ""), exercise_gid)
    ]


def owner_of(nb, test_index: int) -> str | None:
    """The exercise a test cell checks (``<exercise>_test`` or ``<exercise>_test_<n>``)."""
    gid = nbg(nb.cells[test_index]).get("grade_id", "")
    return next((ex for ex in exercises(nb) if belongs_to(gid, ex)), None)


#: the kinds of mistake a wrong mutant names on its first line (``# <kind>: <what>``)
WRONG_KINDS = ("state", "mutation", "tested-values", "roles", "sharing", "rule", "other")
RIGHT_KINDS = ("style",)


@dataclass
class Mutant:
    nb_id: str
    exercise: str
    path: Path
    right: bool
    code: str = field(repr=False, default="")

    @property
    def name(self) -> str:
        return f"{self.nb_id}/{self.exercise}/{self.path.name}"

    @property
    def kind(self) -> str | None:
        """The kind named on the first line, or None if the line is not ``# <kind>: ...``."""
        first = self.code.lstrip("\n").split("\n", 1)[0]
        match = re.fullmatch(r"#\s*([a-z-]+)\s*:\s*\S.*", first.strip())
        kinds = RIGHT_KINDS if self.right else WRONG_KINDS
        return match.group(1) if match and match.group(1) in kinds else None


def mutants(nb_id: str) -> dict[str, list[Mutant]]:
    """exercise grade_id -> its wrong_*.py and right_*.py mutants."""
    out: dict[str, list[Mutant]] = {}
    base = MUTANTS / nb_id
    if not base.is_dir():
        return out
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        for f in sorted(folder.glob("*.py")):
            if f.name.startswith(("wrong_", "right_")):
                out.setdefault(folder.name, []).append(
                    Mutant(nb_id, folder.name, f, f.name.startswith("right_"), f.read_text())
                )
    return out


def substitute(source: str, replacement: str) -> str:
    """``source`` with the lines between the solution markers replaced.

    The replacement is re-indented to the indentation of ``### BEGIN SOLUTION``,
    so a mutant may be written either at that indentation or flush left.
    """
    lines = source.splitlines()
    starts = [i for i, ln in enumerate(lines) if ln.strip() == BEGIN_SOLUTION]
    ends = [i for i, ln in enumerate(lines) if ln.strip() == END_SOLUTION]
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        raise ValueError("an exercise cell needs exactly one BEGIN/END SOLUTION pair")
    s, e = starts[0], ends[0]
    indent = lines[s][: len(lines[s]) - len(lines[s].lstrip())]
    body = textwrap.indent(textwrap.dedent(replacement).strip("\n"), indent)
    return "\n".join(lines[: s + 1] + body.splitlines() + lines[e:]) + "\n"


def student_version(nb):
    """A stand-in for nbgrader's student version: what an untouched submission looks like.

    Solution regions become ``raise NotImplementedError()`` (at the marker's
    indentation), hidden tests disappear, manually graded answers are blank.
    The autograder tests check the real nbgrader output; this one is fast
    enough to run on every notebook in the notebook suite.
    """
    student = nbformat.from_dict(nb)
    for cell in student.cells:
        if is_manual(cell) and cell.cell_type == "markdown":
            cell.source = "YOUR ANSWER HERE"
        if cell.cell_type != "code":
            continue
        out, skipping = [], None
        for line in cell.source.splitlines():
            mark = line.strip()
            if mark in (BEGIN_SOLUTION, BEGIN_HIDDEN):
                skipping = mark
                if mark == BEGIN_SOLUTION:
                    indent = line[: len(line) - len(line.lstrip())]
                    out += [indent + "# YOUR CODE HERE", indent + "raise NotImplementedError()"]
            elif mark in (END_SOLUTION, END_HIDDEN):
                skipping = None
            elif skipping is None:
                out.append(line)
        cell.source = "\n".join(out)
    return student


def stderr_text(cell) -> str:
    return "".join(
        o.get("text", "") for o in cell.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stderr"
    )


def make_client(nb, nb_id: str, timeout: int = CELL_TIMEOUT):
    from nbclient import NotebookClient

    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        interrupt_on_timeout=True,
        resources={"metadata": {"path": str(NOTEBOOKS / nb_id)}},
    )


def run_cell(client, cell, index: int) -> tuple[bool, str]:
    """Execute one cell in the client's kernel: (ok, why-not). stderr counts as failure."""
    from nbclient.exceptions import CellExecutionError

    cell = cell.copy()
    cell["outputs"] = []
    try:
        client.execute_cell(cell, index)
    except CellExecutionError as err:
        return False, _short(str(err))
    # a cell tagged raises-exception (graded cells are, for Run All) does not raise here
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if errors:
        return False, _short(f"{errors[0].get('ename')}: {errors[0].get('evalue')}")
    err = stderr_text(cell)
    if err.strip():
        return False, "stderr: " + _short(err)
    return True, ""


def _short(text: str, limit: int = 600) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", text).strip()
    return text if len(text) <= limit else "... " + text[-limit:]


class Stopwatch:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start

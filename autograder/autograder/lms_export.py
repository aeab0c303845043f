"""Grades in layouts an LMS imports: Canvas's gradebook CSV, Moodle's "Import grades from CSV".

Both files hold one row per student and one column per assignment (the sum of its notebooks).
Who a student is in the LMS (Canvas user id, SIS ids, section, e-mail, Moodle ID number) is not
in nbgrader's gradebook, so it comes from an optional *roster* CSV the instructor writes:

.. code-block:: text

    student_id,name,canvas_id,sis_user_id,sis_login_id,section,email,id_number,username
    ann,"Smith, Ann",1234,S001,asmith,Section A,ann@example.org,1001,asmith

``student_id`` (the nbgrader id, the folder name under ``submitted/``) is required; every other
column is optional. Without a roster, Canvas gets the nbgrader id as ``SIS Login ID`` and Moodle as
``Username``, which is right only when the course uses the LMS login names as nbgrader ids.

A graded student missing from the roster is an error (the grade would be lost on import), and so is
an assignment still waiting for a hand grade (the LMS would get a partial score) unless the caller
passes ``allow_pending``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from .course import Course

FORMATS = ("csv", "canvas", "moodle")
ROSTER_FIELDS = ("student_id", "name", "first_name", "last_name", "canvas_id", "sis_user_id",
                 "sis_login_id", "section", "email", "id_number", "username")
CANVAS_IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
# Canvas recognises the second row by this text in its first cell (its own exports indent it).
CANVAS_POINTS_ROW = "    Points Possible"
# Moodle identity columns, in the order we prefer them for matching users.
MOODLE_IDENTITY = [("email", "Email address"), ("id_number", "ID number"),
                   ("username", "Username")]


class ExportError(ValueError):
    """Input that would make the LMS file wrong: said plainly, nothing written."""


@dataclass
class StudentGrades:
    student_id: str
    first_name: str = ""
    last_name: str = ""
    scores: dict[str, float] = field(default_factory=dict)  # assignment -> points
    pending: list[str] = field(default_factory=list)  # "assignment/notebook" awaiting a hand grade


@dataclass
class Grades:
    assignments: list[str]
    max_scores: dict[str, float]
    students: list[StudentGrades]


def collect_grades(course: Course) -> Grades:
    """Per student and assignment totals from the gradebook (via the coordinator's export rows)."""
    from nbgrader.api import Gradebook

    from .coordinator import export_rows

    rows = export_rows(course)
    with Gradebook(course.db_url, course.course_id) as gb:
        names = {s.id: (s.first_name or "", s.last_name or "") for s in gb.students}
    assignments: list[str] = []
    max_scores: dict[str, float] = {}
    by_student: dict[str, StudentGrades] = {}
    for row in rows:
        if row["assignment"] == "TOTAL":
            continue
        assignment = row["assignment"]
        if assignment not in max_scores:
            assignments.append(assignment)
            max_scores[assignment] = 0.0
        student = by_student.get(row["student"])
        if student is None:
            first, last = names.get(row["student"], ("", ""))
            student = by_student[row["student"]] = StudentGrades(row["student"], first, last)
        student.scores[assignment] = student.scores.get(assignment, 0.0) + float(row["score"])
        if row["needs_manual_grade"]:
            student.pending.append(f"{assignment}/{row['notebook']}")
    # max score per assignment: the same for every student, count each notebook once
    seen: set[tuple[str, str]] = set()
    for row in rows:
        key = (row["assignment"], row["notebook"])
        if row["assignment"] != "TOTAL" and key not in seen:
            seen.add(key)
            max_scores[row["assignment"]] += float(row["max_score"])
    return Grades(sorted(assignments), max_scores,
                  sorted(by_student.values(), key=lambda s: s.student_id))


def _field_name(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", header.strip().lower())


def read_roster(path: Path) -> dict[str, dict[str, str]]:
    """The instructor's roster: nbgrader student id -> LMS identity fields."""
    path = Path(path)
    if not path.is_file():
        raise ExportError(f"roster {path} does not exist")
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise ExportError(f"roster {path} is empty") from None
        fields = [_field_name(h) for h in header]
        unknown = [h for h, f in zip(header, fields, strict=True) if f not in ROSTER_FIELDS]
        if unknown:
            raise ExportError(f"roster {path}: unknown column(s) {', '.join(unknown)}; "
                              f"allowed: {', '.join(ROSTER_FIELDS)}")
        if "student_id" not in fields:
            raise ExportError(f"roster {path} needs a student_id column (the nbgrader id)")
        if len(set(fields)) != len(fields):
            raise ExportError(f"roster {path}: a column appears twice")
        roster: dict[str, dict[str, str]] = {}
        for line, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(fields):
                raise ExportError(f"roster {path} line {line}: {len(values)} values for "
                                  f"{len(fields)} columns")
            entry = {f: v.strip() for f, v in zip(fields, values, strict=True)}
            sid = entry["student_id"]
            if not sid:
                raise ExportError(f"roster {path} line {line}: empty student_id")
            if sid in roster:
                raise ExportError(f"roster {path} line {line}: student {sid} listed twice")
            roster[sid] = entry
    return roster


def _number(value: float) -> str:
    text = f"{round(value, 4):.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _check(grades: Grades, roster: dict | None, allow_pending: bool) -> None:
    if roster is not None:
        missing = [s.student_id for s in grades.students if s.student_id not in roster]
        if missing:
            raise ExportError("graded but not in the roster (their grades would be lost): "
                              + ", ".join(missing))
    pending = [f"{s.student_id}: {p}" for s in grades.students for p in s.pending]
    if pending and not allow_pending:
        raise ExportError(f"{len(pending)} notebook(s) still await a hand grade (make "
                          "formgrade), so the LMS would get partial scores: "
                          + "; ".join(pending[:10]) + (" ..." if len(pending) > 10 else "")
                          + ". Grade them, or export anyway with --allow-pending.")


def _people(grades: Grades,
            roster: dict | None) -> list[tuple[dict[str, str], StudentGrades | None]]:
    """(identity, grades) for every graded student, then roster students with no grades."""
    people = []
    for student in grades.students:
        entry = dict(roster[student.student_id]) if roster is not None else {
            "student_id": student.student_id}
        entry.setdefault("first_name", student.first_name)
        entry.setdefault("last_name", student.last_name)
        people.append((entry, student))
    if roster is not None:
        graded = {s.student_id for s in grades.students}
        people += [(dict(e), None) for sid, e in roster.items() if sid not in graded]
    return people


def _display_name(entry: dict[str, str]) -> str:
    if entry.get("name"):
        return entry["name"]
    last, first = entry.get("last_name", ""), entry.get("first_name", "")
    if last and first:
        return f"{last}, {first}"  # Canvas's "sortable name"
    return last or first or entry["student_id"]


def canvas_rows(grades: Grades, roster: dict | None = None, *,
                allow_pending: bool = False) -> list[list[str]]:
    """Canvas gradebook import: identity columns, Points Possible row, a column per assignment."""
    _check(grades, roster, allow_pending)
    rows = [CANVAS_IDENTITY + grades.assignments,
            [CANVAS_POINTS_ROW, "", "", "", ""]
            + [_number(grades.max_scores[a]) for a in grades.assignments]]
    for entry, student in _people(grades, roster):
        login = entry.get("sis_login_id", "") if roster is not None else entry["student_id"]
        identity = [_display_name(entry), entry.get("canvas_id", ""),
                    entry.get("sis_user_id", ""), login, entry.get("section", "")]
        scores = [_number(student.scores.get(a, 0.0)) if student else "0"
                  for a in grades.assignments]
        rows.append(identity + scores)
    return rows


def moodle_rows(grades: Grades, roster: dict | None = None, *,
                allow_pending: bool = False) -> list[list[str]]:
    """Moodle "Import grades from CSV": user identity column(s), then one column per grade item."""
    _check(grades, roster, allow_pending)
    people = _people(grades, roster)
    if roster is None:
        columns = [("student_id", "Username")]
    else:
        columns = [(key, title) for key, title in MOODLE_IDENTITY
                   if any(entry.get(key) for entry, _ in people)]
        if not columns:
            raise ExportError("the roster has no email, id_number or username column: Moodle "
                              "needs one of them to find each student")
        key, title = columns[0]
        unmatched = [entry["student_id"] for entry, _ in people if not entry.get(key)]
        if unmatched:
            raise ExportError(f"no {key} in the roster for: {', '.join(unmatched)} (Moodle "
                              f"matches users by the {title} column)")
    rows = [[title for _, title in columns] + grades.assignments]
    for entry, student in people:
        scores = [_number(student.scores.get(a, 0.0)) if student else "0"
                  for a in grades.assignments]
        rows.append([entry.get(key, "") for key, _ in columns] + scores)
    return rows


def write_rows(rows: list[list[str]], path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with open(partial, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    partial.replace(path)
    return path


def export(course: Course, fmt: str, path: Path, roster: Path | None = None, *,
           allow_pending: bool = False) -> Path:
    """Write the grades as ``fmt`` (csv, canvas or moodle) to ``path``."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if fmt == "csv":
        from .coordinator import write_csv

        return write_csv(course, Path(path))
    from .report import gradebook_problem

    problem = gradebook_problem(course)
    if problem:
        raise ExportError(problem)
    grades = collect_grades(course)
    people = read_roster(roster) if roster else None
    make = canvas_rows if fmt == "canvas" else moodle_rows
    return write_rows(make(grades, people, allow_pending=allow_pending), path)


def cmd_export(args) -> int:
    """``python -m autograder export [--format canvas|moodle|csv] [--roster file]``."""
    import sys

    from .cli import _course

    fmt = getattr(args, "format", None) or "csv"
    # an LMS file never lands on the plain CSV's default path
    target = args.csv or ("build/grades.csv" if fmt == "csv" else f"build/grades-{fmt}.csv")
    try:
        path = export(_course(args), fmt, Path(target), getattr(args, "roster", None),
                      allow_pending=getattr(args, "allow_pending", False))
    except ExportError as error:
        print(f"export: {error}", file=sys.stderr)
        return 2
    pending = sum(len(s.pending) for s in collect_grades(_course(args)).students) \
        if fmt != "csv" else 0
    note = f" ({pending} notebook(s) still await a hand grade)" if pending else ""
    print(f"grades ({fmt}): {path}{note}")
    return 0


def add_options(export_parser) -> None:
    """Hook into ``python -m autograder export``: the LMS layouts and the roster."""
    export_parser.add_argument("--format", choices=FORMATS, default="csv",
                               help="csv (one row per notebook), canvas or moodle")
    export_parser.add_argument("--roster", default=None,
                               help="CSV: student_id plus LMS identity (see lms_export.py)")
    export_parser.add_argument("--allow-pending", action="store_true",
                               help="export although hand grades are missing")
    export_parser.set_defaults(func=cmd_export, csv=None)  # default path by format

"""Item analysis (``make report``): one self-contained HTML page per assignment, plus an index.

For every graded cell (an exercise's tests, or a written answer) the page shows how the points
are spread over the students, the failing messages that came up most often, how many students
left the exercise untouched, and how many still wait for a hand grade; for the assignment, the
totals and the time the grader spent per submission. The numbers come from the gradebook
(SQLite or PostgreSQL, whatever the course uses) and the autograded notebooks; the plots are
SVG drawn by matplotlib and embedded as data URIs, so the page needs no network and no files
beside it. Everything a student produced (messages, names) is HTML-escaped.
"""

from __future__ import annotations

import ast
import base64
import html
import io
import json
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .course import Course

TOP_MESSAGES = 5
MESSAGE_CHARS = 200


@dataclass
class CellStats:
    """One graded cell of one notebook, over every student who handed the assignment in."""

    notebook: str
    grade_id: str
    max_score: float
    manual: bool  # a written answer (or any cell graded by hand)
    solutions: list[str]  # the answer cells this grade belongs to
    known: bool = True  # False: the master is missing, so its answer cells are unknown
    scores: dict[str, float] = field(default_factory=dict)  # student -> points (graded only)
    pending: list[str] = field(default_factory=list)  # students awaiting a hand grade
    untouched: list[str] = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)  # message -> students

    @property
    def key(self) -> str:
        return f"{self.notebook}/{self.grade_id}"

    @property
    def students(self) -> int:
        return len(self.scores) + len(self.pending)

    def mean(self) -> float | None:
        return statistics.fmean(self.scores.values()) if self.scores else None


@dataclass
class AssignmentStats:
    name: str
    max_total: float
    students: list[str]  # who handed it in
    not_submitted: list[str]  # in the gradebook, but no submission of this assignment
    totals: dict[str, float] = field(default_factory=dict)
    cells: list[CellStats] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # student -> grading time
    messages: Counter = field(default_factory=Counter)  # grader messages per submission
    notes: list[str] = field(default_factory=list)


# -- reading ------------------------------------------------------------------------------------

def gradebook_problem(course: Course) -> str | None:
    """Why there is no gradebook to read, or None (opening a missing SQLite file would make one)."""
    if course.db_url.startswith("sqlite:///"):
        path = Path(course.db_url[len("sqlite:///"):])
        if not path.is_file():
            return (f"no gradebook at {path}: grade first (make grade), or point COURSE= / "
                    "DB_URL= at the course")
    return None


def _canonical_code(source: str) -> str | None:
    """The code's structure without comments, docstrings or the stub's message, or None."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                node.exc = ast.Name(id="NotImplementedError", ctx=ast.Load())
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and \
                isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            body.pop(0)  # a docstring
            if not body:
                body.append(ast.Pass())
    return ast.dump(tree)


def is_untouched(student_source: str | None, released_source: str, cell_type: str) -> bool:
    """True when the answer is still what the release handed out (or is not there at all)."""
    if student_source is None:
        return True
    if cell_type == "markdown":
        return " ".join(student_source.split()) in ("", " ".join(released_source.split()))
    if not student_source.strip():
        return True
    mine, released = _canonical_code(student_source), _canonical_code(released_source)
    if mine is None:
        return False  # a syntax error is an attempt
    return mine == released


def _message(output: dict) -> str:
    ename = str(output.get("ename") or "Error")
    evalue = " ".join(str(output.get("evalue") or "").split())
    if len(evalue) > MESSAGE_CHARS:
        evalue = evalue[:MESSAGE_CHARS] + "..."
    return f"{ename}: {evalue}" if evalue else ename


def _exercise_map(master) -> dict[str, tuple[list[str], str]]:
    """grade_id -> (the answer cells it grades, cell type of the grade cell), in master order."""
    out: dict[str, tuple[list[str], str]] = {}
    since: list[str] = []
    last: list[str] = []  # a second test cell in a row tests the same answer
    for cell in master.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        gid = meta.get("grade_id")
        if not gid:
            continue
        if meta.get("task"):  # graded by hand; no answer cell of its own to be untouched
            out[gid] = ([], cell.cell_type)
        elif meta.get("solution") and meta.get("grade"):
            out[gid] = ([gid], cell.cell_type)
            since, last = [], []
        elif meta.get("solution"):
            since.append(gid)
        elif meta.get("grade"):
            last = list(since) if since else last
            out[gid] = (list(last), cell.cell_type)
            since = []
    return out


def _journal(gb, assignment: str) -> tuple[dict[str, float], Counter]:
    """Grading seconds per student (when the journal records them) and the grader's messages."""
    from sqlalchemy import MetaData, Table, select

    meta = MetaData()
    try:
        journal = Table("treeprop_grading", meta, autoload_with=gb.engine)
    except Exception:  # graded by plain nbgrader: no journal
        return {}, Counter()
    seconds: dict[str, float] = {}
    messages: Counter = Counter()
    rows = gb.db.execute(select(journal).where(journal.c.assignment == assignment)).mappings()
    for row in rows:
        try:
            summary = json.loads(row.get("summary") or "{}")
        except ValueError:
            summary = {}
        value = row.get("seconds", summary.get("seconds"))
        if isinstance(value, (int, float)) and value >= 0:
            seconds[row["student"]] = float(value)
        for key in ("messages", "flags", "review"):
            for text in summary.get(key, []) or []:
                text = " ".join(str(text).split())[:MESSAGE_CHARS]
                messages[text] += 1
    return seconds, messages


def analyse(course: Course, assignment: str) -> AssignmentStats:
    """Everything the page shows for one assignment, read from the gradebook and notebooks."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(course.db_url, course.course_id) as gb:
        record = gb.find_assignment(assignment)
        submitted = sorted(s.student.id for s in record.submissions)
        others = sorted(s.id for s in gb.students if s.id not in set(submitted))
        stats = AssignmentStats(assignment, float(record.max_score), submitted, others)
        for notebook in sorted(record.notebooks, key=lambda n: n.name):
            master_path = course.source / assignment / f"{notebook.name}.ipynb"
            exercises = _exercise_map(nbformat.read(master_path, as_version=4)) \
                if master_path.exists() else {}
            if not master_path.exists():
                stats.notes.append(f"master {master_path} not found (SOURCE=?): which answer "
                                   "cells a test grades is unknown, so 'untouched' is n/a")
            released = {c.name: (c.source or "", c.cell_type) for c in notebook.source_cells}
            cells = []
            hand = {s.name for s in [*notebook.solution_cells, *notebook.task_cells]}
            graded = [*notebook.grade_cells, *notebook.task_cells]  # every cell with points
            for cell in sorted(graded, key=lambda c: list(exercises).index(c.name)
                               if c.name in exercises else len(exercises)):
                manual = cell.name in hand
                solutions, _ = exercises.get(cell.name, ([cell.name] if manual else [],
                                                         cell.cell_type))
                cells.append(CellStats(notebook.name, cell.name, float(cell.max_score or 0),
                                       manual, solutions,
                                       known=manual or cell.name in exercises))
            for student in submitted:
                path = course.autograded / student / assignment / f"{notebook.name}.ipynb"
                nb = nbformat.read(path, as_version=4) if path.exists() else None
                by_id = {}
                if nb is not None:
                    for c in nb.cells:
                        gid = c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                        if gid:
                            by_id.setdefault(gid, c)
                for stat in cells:
                    try:
                        grade = gb.find_grade(stat.grade_id, notebook.name, assignment, student)
                        manual_score, auto_score = grade.manual_score, grade.auto_score
                        extra = grade.extra_credit or 0.0
                        waiting = bool(grade.needs_manual_grade) and manual_score is None
                    except MissingEntry:
                        manual_score, auto_score, extra, waiting = None, None, 0.0, False
                    if waiting:
                        stat.pending.append(student)
                    else:
                        value = manual_score if manual_score is not None else auto_score
                        stat.scores[student] = float(value or 0.0) + float(extra)
                    untouched = all(
                        is_untouched(by_id[s].source if s in by_id else None,
                                     *released.get(s, ("", "code")))
                        for s in stat.solutions) if stat.solutions else nb is None
                    if untouched and stat.known:
                        stat.untouched.append(student)
                    if nb is None:
                        stat.failures["notebook missing or unreadable"] += 1
                        continue
                    test = by_id.get(stat.grade_id)
                    if test is not None and not stat.manual:
                        seen = {_message(o) for o in test.get("outputs", [])
                                if o.get("output_type") == "error"}
                        for text in seen:
                            stat.failures[text] += 1
            stats.cells += cells
        for student in submitted:
            stats.totals[student] = sum(c.scores.get(student, 0.0) for c in stats.cells)
        stats.seconds, stats.messages = _journal(gb, assignment)
        stats.seconds = {s: v for s, v in stats.seconds.items() if s in set(submitted)}
    return stats


# -- drawing ------------------------------------------------------------------------------------

def _svg_uri(fig) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return "data:image/svg+xml;base64," + base64.b64encode(text.encode()).decode()


def _figure(width: float = 4.2, height: float = 2.4):
    import matplotlib

    matplotlib.use("Agg", force=False)
    matplotlib.rcParams["svg.fonttype"] = "none"  # real text in the SVG, no glyph paths
    matplotlib.rcParams["svg.hashsalt"] = "treeprop-report"  # the same file for the same data
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    return fig, fig.add_subplot()


def score_plot(values: list[float], max_score: float, title: str) -> str:
    """Bar chart: how many students earned each score (0 .. max)."""
    fig, ax = _figure()
    points = sorted(set(values) | {0.0, max_score})
    if len(points) <= 21:
        counts = Counter(values)
        width = min((b - a for a, b in zip(points, points[1:], strict=False)), default=1.0)
        ax.bar(points, [counts.get(p, 0) for p in points], width=0.8 * width,
               color="#3b6ea8")
        ax.set_xticks(points)
        ax.set_xticklabels([f"{p:g}" for p in points])
    else:
        ax.hist(values, bins=10, range=(0, max_score or 1), color="#3b6ea8")
    ax.set_xlabel("points")
    ax.set_ylabel("students")
    ax.set_title(title, fontsize=9)
    ax.yaxis.get_major_locator().set_params(integer=True)
    return _svg_uri(fig)


def seconds_plot(values: list[float]) -> str:
    fig, ax = _figure()
    ax.hist(values, bins=min(10, max(1, len(values))), color="#8a5a9e")
    ax.set_xlabel("seconds per submission")
    ax.set_ylabel("submissions")
    ax.set_title("grading time", fontsize=9)
    ax.yaxis.get_major_locator().set_params(integer=True)
    return _svg_uri(fig)


# -- writing ------------------------------------------------------------------------------------

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 70rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
section.cell { border-top: 2px solid #3b6ea8; margin-top: 1.5rem; padding-top: 0.5rem; }
figure { display: inline-block; margin: 0 1rem 0 0; }
img.plot { max-width: 100%; }
.note { color: #555; }
code, pre { background: #f4f4f4; padding: 0 0.2rem; }
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}".rstrip("0").rstrip(".") or "0"


def _share(part: int, whole: int) -> str:
    return "n/a" if not whole else f"{100.0 * part / whole:.0f}%"


def _page(title: str, body: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{_e(title)}</title><style>{STYLE}</style></head>\n<body>\n{body}\n"
            "</body></html>\n")


def render_assignment(stats: AssignmentStats, course_id: str) -> str:
    n = len(stats.students)
    totals = list(stats.totals.values())
    parts = [f"<h1>Item analysis: {_e(stats.name)}</h1>",
             f"<p class=\"note\">Course {_e(course_id)}. {n} submission(s); "
             f"{len(stats.not_submitted)} student(s) in the gradebook did not hand it in. "
             "Points are from the gradebook (hand grades included); answers still waiting "
             "for a hand grade are counted apart, not as 0 (totals hold the graded points). "
             "<a href=\"index.html\">All assignments</a>.</p>"]
    parts += [f"<p class=\"note warning\">{_e(note)}</p>" for note in stats.notes]
    parts.append("<h2>Summary</h2><table id=\"summary\"><tr><th>cell</th><th>max</th>"
                 "<th>graded</th><th>mean</th><th>full marks</th><th>zero</th>"
                 "<th>untouched</th><th>awaiting hand grade</th></tr>")
    for c in stats.cells:
        values = list(c.scores.values())
        full = sum(1 for v in values if c.max_score and v >= c.max_score)
        zero = sum(1 for v in values if v == 0)
        parts.append(
            f"<tr data-cell=\"{_e(c.key)}\"><td><a href=\"#{_e(c.key)}\">{_e(c.key)}</a>"
            f"{' (hand-graded)' if c.manual else ''}</td>"
            f"<td class=\"num max\">{_fmt(c.max_score)}</td>"
            f"<td class=\"num graded\">{len(values)}</td>"
            f"<td class=\"num mean\">{_fmt(c.mean())}</td>"
            f"<td class=\"num full\">{full}</td><td class=\"num zero\">{zero}</td>"
            + (f"<td class=\"num untouched\" data-count=\"{len(c.untouched)}\">"
               f"{_share(len(c.untouched), n)} ({len(c.untouched)})</td>" if c.known else
               "<td class=\"num untouched\" data-count=\"\">n/a</td>") +
            f"<td class=\"num pending\">{len(c.pending)}</td></tr>")
    mean_total = statistics.fmean(totals) if totals else None
    parts.append(f"<tr data-cell=\"TOTAL\"><th>total</th><td class=\"num max\">"
                 f"{_fmt(stats.max_total)}</td><td class=\"num graded\">{len(totals)}</td>"
                 f"<td class=\"num mean\">{_fmt(mean_total)}</td><td></td><td></td><td></td>"
                 f"<td class=\"num pending\">{sum(len(c.pending) for c in stats.cells)}</td>"
                 "</tr></table>")
    if totals:
        parts.append("<figure data-plot=\"totals\"><img class=\"plot\" alt=\"distribution of "
                     f"total scores\" src=\"{score_plot(totals, stats.max_total, 'total')}\">"
                     "</figure>")

    parts.append("<h2>Grading time</h2>")
    if stats.seconds:
        values = sorted(stats.seconds.values())
        parts.append(
            "<table id=\"timing\"><tr><th>submissions timed</th><th>median s</th>"
            "<th>mean s</th><th>max s</th><th>total s</th></tr>"
            f"<tr><td class=\"num count\">{len(values)}</td>"
            f"<td class=\"num median\">{statistics.median(values):.2f}</td>"
            f"<td class=\"num mean\">{statistics.fmean(values):.2f}</td>"
            f"<td class=\"num max\">{max(values):.2f}</td>"
            f"<td class=\"num total\">{sum(values):.2f}</td></tr></table>"
            f"<figure data-plot=\"seconds\"><img class=\"plot\" alt=\"grading time per "
            f"submission\" src=\"{seconds_plot(values)}\"></figure>")
    else:
        parts.append("<p id=\"timing\" class=\"note\">Grading time was not recorded in the "
                     "gradebook's journal for these submissions.</p>")

    for c in stats.cells:
        values = list(c.scores.values())
        parts.append(f"<section class=\"cell\" id=\"{_e(c.key)}\" data-cell=\"{_e(c.key)}\">"
                     f"<h2>{_e(c.key)}</h2><p class=\"note\">{_fmt(c.max_score)} point(s)"
                     + (f"; answer cell(s): {_e(', '.join(c.solutions))}" if c.solutions
                        else "") + ".</p>")
        if values:
            parts.append(f"<figure data-plot=\"{_e(c.key)}\"><img class=\"plot\" "
                         f"alt=\"score distribution of {_e(c.key)}\" "
                         f"src=\"{score_plot(values, c.max_score, c.key)}\"></figure>")
        if c.failures:
            parts.append("<table class=\"failures\"><tr><th>most frequent failing message"
                         "</th><th>students</th></tr>")
            for text, count in c.failures.most_common(TOP_MESSAGES):
                parts.append(f"<tr><td><code>{_e(text)}</code></td>"
                             f"<td class=\"num\">{count}</td></tr>")
            parts.append("</table>")
        elif not c.manual:
            parts.append("<p class=\"note\">No failing test output.</p>")
        parts.append("</section>")

    if stats.messages:
        parts.append("<h2>Grader messages</h2><table id=\"messages\"><tr><th>message</th>"
                     "<th>submissions</th></tr>")
        for text, count in stats.messages.most_common(20):
            parts.append(f"<tr><td>{_e(text)}</td><td class=\"num\">{count}</td></tr>")
        parts.append("</table>")
    return _page(f"{stats.name}: item analysis", "\n".join(parts))


def render_index(all_stats: list[AssignmentStats], course_id: str) -> str:
    rows = []
    for s in all_stats:
        totals = list(s.totals.values())
        pending = sum(len(c.pending) for c in s.cells)
        rows.append(f"<tr data-assignment=\"{_e(s.name)}\"><td><a href=\"{_e(page_name(s.name))}"
                    f"\">{_e(s.name)}</a></td><td class=\"num submissions\">{len(s.students)}"
                    f"</td><td class=\"num mean\">"
                    f"{_fmt(statistics.fmean(totals) if totals else None)}</td>"
                    f"<td class=\"num max\">{_fmt(s.max_total)}</td>"
                    f"<td class=\"num pending\">{pending}</td></tr>")
    body = (f"<h1>Item analysis: {_e(course_id)}</h1><table id=\"assignments\"><tr>"
            "<th>assignment</th><th>submissions</th><th>mean total</th><th>max</th>"
            "<th>awaiting hand grade</th></tr>" + "".join(rows) + "</table>")
    if not all_stats:
        body += "<p class=\"note\">Nothing graded yet (make grade).</p>"
    return _page(f"{course_id}: item analysis", body)


def page_name(assignment: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", assignment) + ".html"


def write_reports(course: Course, out: Path | None = None,
                  assignments: list[str] | None = None) -> list[Path]:
    """Write ``<out>/<assignment>.html`` for every graded assignment and ``<out>/index.html``."""
    from nbgrader.api import Gradebook

    problem = gradebook_problem(course)
    if problem:
        raise ValueError(problem)
    out = Path(out) if out else course.root / "reports"
    with Gradebook(course.db_url, course.course_id) as gb:
        known = sorted(a.name for a in gb.assignments if a.submissions)
    if assignments:
        unknown = sorted(set(assignments) - set(known))
        if unknown:
            raise ValueError(f"no graded submissions of {', '.join(unknown)} in the gradebook")
        known = [a for a in known if a in assignments]
    out.mkdir(parents=True, exist_ok=True)
    written = []
    all_stats = []
    for assignment in known:
        stats = analyse(course, assignment)
        all_stats.append(stats)
        path = out / page_name(assignment)
        path.write_text(render_assignment(stats, course.course_id), encoding="utf-8")
        written.append(path)
    index = out / "index.html"
    index.write_text(render_index(all_stats, course.course_id), encoding="utf-8")
    return [index] + written


def cmd_report(args) -> int:
    """``python -m autograder report``: item analysis pages under ``<course>/reports``."""
    import sys

    from .cli import _course

    course = _course(args)
    try:
        paths = write_reports(course, getattr(args, "out", None),
                              getattr(args, "assignments", None) or None)
    except ValueError as error:
        print(f"report: {error}", file=sys.stderr)
        return 2
    print(f"report: {len(paths) - 1} assignment page(s); open {paths[0]}")
    return 0


def add_parser(sub) -> None:
    """Hook into ``python -m autograder``: the ``report`` subcommand."""
    p = sub.add_parser("report", help="item analysis: an HTML page per assignment")
    p.add_argument("assignments", nargs="*", help="only these assignments (default: all)")
    p.add_argument("--out", default=None, help="folder for the pages (<course>/reports)")
    p.set_defaults(func=cmd_report)

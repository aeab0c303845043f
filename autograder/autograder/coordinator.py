"""The coordinator: the one place that writes grades into the gradebook.

:class:`Coordinator` finds the submissions under the course's ``submitted/`` folder, skips
those already recorded with the same checksum (the *journal* table
``treeprop_grading`` lives in the gradebook database itself), hands the rest to an
executor running :func:`autograder.worker.grade_submission`, and records each
:class:`~autograder.worker.GradeResult` once: grades, needs-manual flags and the journal
row are committed in one transaction, keyed by (student, assignment). A run killed
half-way loses only what was not committed; the next run grades what is left.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from sqlalchemy import Boolean, Column, Float, MetaData, String, Table, Text, select

from .course import Course, generate_student_versions
from .executors import make_executor
from .sandbox import Limits
from .worker import GradeJob, GradeResult, grade_submission, submission_checksum

_meta = MetaData()
JOURNAL = Table(
    "treeprop_grading", _meta,
    Column("student", String(128), primary_key=True),
    Column("assignment", String(128), primary_key=True),
    Column("checksum", String(64), nullable=False),
    Column("timestamp", String(64)),
    Column("status", String(16), nullable=False),
    Column("score", Float),
    Column("max_score", Float),
    Column("needs_manual", Boolean),
    Column("summary", Text),  # JSON: flags, review, messages
    Column("recorded_at", String(64)),
)

HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"


def strip_hidden_tests(nb) -> int:
    """Remove hidden test code (and tracebacks quoting it) from a notebook; count cells."""
    changed = 0
    for cell in nb.cells:
        if cell.cell_type != "code" or HIDDEN_BEGIN not in cell.source:
            continue
        hidden, kept, inside = [], [], False
        for line in cell.source.splitlines():
            if HIDDEN_BEGIN in line:
                inside = True
                kept.append("# (hidden tests: run by the grader, not shown)")
                continue
            if HIDDEN_END in line:
                inside = False
                continue
            (hidden if inside else kept).append(line)
        cell.source = "\n".join(kept)
        hidden_text = "\n".join(hidden)
        secrets = [h.strip() for h in hidden if h.strip()]
        outputs = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                # Tracebacks quote the code that failed: keep only the error's name and
                # message, and drop the message too when it comes from the hidden tests.
                evalue = str(output.get("evalue", ""))
                if evalue.strip() and (evalue in hidden_text
                                       or any(s in evalue for s in secrets)):
                    evalue = "a hidden test failed"
                output["evalue"] = evalue
                output["traceback"] = [f"{output.get('ename')}: {evalue}"]
            elif output.get("output_type") == "stream":
                if any(s in output.get("text", "") for s in secrets):
                    output["text"] = "(output of hidden tests removed)\n"
            outputs.append(output)
        cell.outputs = outputs
        changed += 1
    return changed


@dataclass
class Summary:
    graded: list = field(default_factory=list)  # GradeResult
    failed: list = field(default_factory=list)  # (student, assignment, reason)
    skipped: int = 0

    def table(self) -> str:
        lines = [f"{'student':<16} {'assignment':<24} {'score':>11}  notes"]
        for r in sorted(self.graded, key=lambda r: (r.student, r.assignment)):
            notes = []
            if r.flags():
                notes.append("FAKED TESTS: " + "; ".join(r.flags()))
            if r.needs_manual():
                notes.append("needs manual grading")
            if r.review():
                notes.append("review: " + "; ".join(r.review()[:3]))
            msgs = r.all_messages()
            if msgs:
                notes.append("; ".join(msgs[:4]))
            lines.append(f"{r.student:<16} {r.assignment:<24} "
                         f"{r.score():>5g}/{r.max_score():<5g}  {' | '.join(notes) or 'ok'}")
        for student, assignment, reason in self.failed:
            lines.append(f"{student:<16} {assignment:<24} {'FAILED':>11}  {reason}")
        manual = sum(1 for r in self.graded if r.needs_manual())
        lines.append(f"graded {len(self.graded)}, failed {len(self.failed)}, "
                     f"needing manual grading {manual}, already up to date {self.skipped}")
        return "\n".join(lines)


class Coordinator:
    """Find submissions, grade the pending ones through an executor, record each result once."""

    def __init__(self, course: Course, executor=None, *, workers: int | None = None,
                 limits: Limits | None = None, progress: bool = True, out=None):
        self.course = course
        self.executor = executor if executor is not None else make_executor(workers)
        self.limits = limits or Limits()
        self.progress = progress
        self.out = out or sys.stdout

    # -- the shared gradebook ---------------------------------------------------------------
    def gradebook(self):
        from nbgrader.api import Gradebook

        # nbgrader's own relationship handling warns on every new submission; harmless.
        warnings.filterwarnings("ignore", message=".*not in session.*")
        self.course.root.mkdir(parents=True, exist_ok=True)
        gb = Gradebook(self.course.db_url, self.course.course_id)
        _meta.create_all(gb.engine, checkfirst=True)
        return gb

    def ensure_assignments(self, assignments: list[str]) -> None:
        """Record the masters' cells in the shared gradebook (like ``make release``)."""
        from nbgrader.api import MissingEntry

        with self.gradebook() as gb:
            missing = []
            for assignment in assignments:
                try:
                    gb.find_assignment(assignment)
                except MissingEntry:
                    missing.append(assignment)
        if missing:
            generate_student_versions(self.course, missing)

    def template(self, assignments: list[str]) -> Path:
        """A private course holding the masters' cells: copied by every worker."""
        digest = hashlib.sha256()
        for assignment in sorted(assignments):
            digest.update(submission_checksum(self.course.source / assignment).encode())
        folder = self.course.root / ".grading" / f"template-{digest.hexdigest()[:16]}"
        if (folder / "gradebook.db").exists():
            return folder
        building = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(building, ignore_errors=True)
        private = Course(root=building, source=self.course.source)
        generate_student_versions(private, sorted(assignments))
        for assignment in assignments:
            shutil.copytree(self.course.source / assignment, building / "source" / assignment,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        shutil.rmtree(building / "release", ignore_errors=True)
        building.rename(folder)
        folder.chmod(0o700)
        return folder

    # -- jobs -----------------------------------------------------------------------------
    def discover(self) -> list[GradeJob]:
        jobs = []
        known = set(self.course.assignments())
        if not self.course.submitted.is_dir():
            return jobs
        assignments = sorted({p.name for s in self.course.submitted.iterdir() if s.is_dir()
                              for p in s.iterdir() if p.is_dir() and p.name in known})
        if not assignments:
            return jobs
        self.ensure_assignments(assignments)
        template = self.template(assignments)
        for student_dir in sorted(self.course.submitted.iterdir()):
            if not student_dir.is_dir():
                continue
            for folder in sorted(student_dir.iterdir()):
                if not folder.is_dir() or folder.name not in known:
                    continue
                stamp = folder / "timestamp.txt"
                timestamp = stamp.read_text().strip() if stamp.exists() else None
                jobs.append(GradeJob(
                    student=student_dir.name, assignment=folder.name, submission=str(folder),
                    template=str(template), notebooks=self.course.notebooks_of(folder.name),
                    checksum=submission_checksum(folder), timestamp=timestamp,
                    limits=self.limits.to_dict()))
        return jobs

    def recorded(self) -> dict[tuple[str, str], dict]:
        with self.gradebook() as gb:
            rows = gb.db.execute(select(JOURNAL)).mappings().all()
        return {(r["student"], r["assignment"]): dict(r) for r in rows}

    def pending(self, jobs: list[GradeJob]) -> list[GradeJob]:
        done = self.recorded()
        return [j for j in jobs if done.get((j.student, j.assignment), {}).get("checksum")
                != j.checksum or done[(j.student, j.assignment)]["status"] != "graded"]

    # -- writing ----------------------------------------------------------------------------
    def record(self, result: GradeResult) -> None:
        """Write one result: files first, then grades + journal in one transaction."""
        folder = self.course.autograded / result.student / result.assignment
        folder.mkdir(parents=True, exist_ok=True)
        for name, entry in result.notebooks.items():
            target = folder / f"{name}.ipynb"
            if entry.get("autograded"):
                nb = nbformat.reads(entry["autograded"], as_version=4)
                strip_hidden_tests(nb)
                partial = target.with_suffix(".ipynb.partial")
                nbformat.write(nb, partial)
                partial.replace(target)
            elif target.exists():
                target.unlink()
        if result.timestamp:
            (folder / "timestamp.txt").write_text(result.timestamp)

        from nbgrader.api import MissingEntry

        with self.gradebook() as gb:
            gb.update_or_create_student(result.student)
            previous = gb.db.execute(select(JOURNAL.c.checksum).where(
                (JOURNAL.c.student == result.student)
                & (JOURNAL.c.assignment == result.assignment))).scalar()
            kwargs = {}
            if result.timestamp:
                kwargs["timestamp"] = result.timestamp
            gb.update_or_create_submission(result.assignment, result.student, **kwargs)
            flagged = {(name, f["grade_id"]) for name, nb in result.notebooks.items()
                       for f in nb.get("flags", [])}
            for name, entry in result.notebooks.items():
                for grade_id, g in entry["grades"].items():
                    try:
                        grade = gb.find_grade(grade_id, name, result.assignment, result.student)
                    except MissingEntry:
                        continue
                    if previous is not None and previous != result.checksum:
                        grade.manual_score = None  # a resubmission: old hand marks are void
                    if g["needs_manual"]:
                        grade.auto_score = None
                        grade.needs_manual_grade = True
                    else:
                        grade.auto_score = g["score"]
                        grade.needs_manual_grade = (name, grade_id) in flagged
            summary = json.dumps({"flags": result.flags(), "review": result.review(),
                                  "messages": result.all_messages()})
            row = dict(checksum=result.checksum, timestamp=result.timestamp, status="graded",
                       score=result.score(), max_score=result.max_score(),
                       needs_manual=result.needs_manual() or bool(flagged), summary=summary,
                       recorded_at=dt.datetime.now(dt.UTC).isoformat())
            key = (JOURNAL.c.student == result.student) & \
                (JOURNAL.c.assignment == result.assignment)
            if previous is None:
                gb.db.execute(JOURNAL.insert().values(student=result.student,
                                                      assignment=result.assignment, **row))
            else:
                gb.db.execute(JOURNAL.update().where(key).values(**row))
            gb.db.commit()

    # -- the batch ----------------------------------------------------------------------------
    def run(self, jobs: list[GradeJob] | None = None) -> Summary:
        jobs = self.discover() if jobs is None else jobs
        todo = self.pending(jobs)
        summary = Summary(skipped=len(jobs) - len(todo))
        if not todo:
            return summary
        bar = None
        if self.progress:
            from tqdm import tqdm

            bar = tqdm(total=len(todo), desc="grading", unit="submission", file=sys.stderr)
        try:
            with self.executor as executor:
                for job, result in executor.map(grade_submission, todo):
                    if isinstance(result, dict):  # a result that travelled as JSON
                        result = GradeResult(**result)
                    if not isinstance(result, GradeResult) or result.status != "graded":
                        # TaskFailure (from any executor) or a grader error: retried next run
                        reason = getattr(result, "error", None) or repr(result)
                        summary.failed.append((job.student, job.assignment, reason))
                    else:
                        self.record(result)
                        summary.graded.append(result)
                    if bar is not None:
                        bar.update(1)
        finally:
            if bar is not None:
                bar.close()
        return summary


# -- export --------------------------------------------------------------------------------

def export_rows(course: Course) -> list[dict]:
    """One row per student and notebook, plus a TOTAL row per student (sorted)."""
    from nbgrader.api import Gradebook, MissingEntry

    rows = []
    with Gradebook(course.db_url, course.course_id) as gb:
        assignments = sorted(gb.assignments, key=lambda a: a.name)
        for student in sorted(gb.students, key=lambda s: s.id):
            total = total_max = 0.0
            manual_any = False
            for assignment in assignments:
                for notebook in sorted(assignment.notebooks, key=lambda n: n.name):
                    try:
                        sn = gb.find_submission_notebook(notebook.name, assignment.name,
                                                         student.id)
                        score, status = float(sn.score), "graded"
                        manual = bool(sn.needs_manual_grade)
                    except MissingEntry:
                        score, status, manual = 0.0, "not submitted", False
                    max_score = float(notebook.max_score)
                    total += score
                    total_max += max_score
                    manual_any |= manual
                    rows.append({"student": student.id, "assignment": assignment.name,
                                 "notebook": notebook.name, "score": round(score, 4),
                                 "max_score": round(max_score, 4),
                                 "needs_manual_grade": manual, "status": status})
            rows.append({"student": student.id, "assignment": "TOTAL", "notebook": "",
                         "score": round(total, 4), "max_score": round(total_max, 4),
                         "needs_manual_grade": manual_any, "status": ""})
    return rows


def write_csv(course: Course, path: Path) -> Path:
    import csv

    rows = export_rows(course)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["student", "assignment", "notebook",
                                                    "score", "max_score",
                                                    "needs_manual_grade", "status"])
        writer.writeheader()
        writer.writerows(rows)
    return path


# -- feedback --------------------------------------------------------------------------------

def generate_feedback(course: Course) -> list[Path]:
    """HTML feedback for every autograded submission; hidden test code never included."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = course.config()
    config.Application.log_level = "WARN"
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    made = []
    if not course.autograded.is_dir():
        return made
    for student_dir in sorted(course.autograded.iterdir()):
        for folder in sorted(p for p in student_dir.iterdir() if p.is_dir()):
            if not any(folder.glob("*.ipynb")):
                continue  # nothing gradable was submitted (missing or unreadable notebooks)
            for nb_path in folder.glob("*.ipynb"):  # belt and braces: strip again
                nb = nbformat.read(nb_path, as_version=4)
                if strip_hidden_tests(nb):
                    nbformat.write(nb, nb_path)
            outcome = api.generate_feedback(folder.name, student_dir.name, force=True)
            if not outcome["success"]:
                raise RuntimeError(f"feedback for {student_dir.name}/{folder.name} failed: "
                                   f"{outcome['error']}")
            made += sorted((course.feedback / student_dir.name / folder.name).glob("*.html"))
    return made


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)

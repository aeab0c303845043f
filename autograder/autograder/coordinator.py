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

import dataclasses
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

from . import offline_math
from .course import Course, generate_student_versions
from .executors import make_executor
from .rubric import (
    drop_pending_notes,
    drop_rubrics,
    insert_rubrics,
    mark_pending,
    restore_tasks,
    strip_mark_schemes,
)
from .sandbox import Limits
from .staging import printable, read_bytes
from .staging import submission_checksum as safe_checksum
from .worker import (
    GradeJob,
    GradeResult,
    grade_submission,
    match_cell_ids,
    submission_checksum,
)

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
    refused: list = field(default_factory=list)  # (folder, reason): not gradable as is

    def table(self) -> str:
        """One row per submission; every column as wide as its widest entry."""
        graded = sorted(self.graded, key=lambda r: (r.student, r.assignment))
        scores = [f"{r.score():g}/{r.max_score():g}" for r in graded]
        width = max([7] + [len(printable(r.student)) for r in graded]
                    + [len(printable(f[0])) for f in self.failed])
        a_width = max([10] + [len(printable(r.assignment)) for r in graded]
                      + [len(printable(f[1])) for f in self.failed])
        s_width = max([len("score"), len("FAILED")] + [len(s) for s in scores])
        lines = [f"{'student':<{width}} {'assignment':<{a_width}} {'score':>{s_width}}  notes"]
        for r, score in zip(graded, scores, strict=True):
            notes = []
            if r.flags():
                notes.append("FAKED TESTS: " + "; ".join(r.flags()))
            if r.needs_manual():
                notes.append("needs manual grading")
            if r.review():
                notes.append("review: " + "; ".join(r.review()[:3]))
            msgs = r.all_messages()
            if msgs:
                notes.append("; ".join(msgs[:6]))
            text = printable(" | ".join(notes) or "ok", 2000)
            lines.append(f"{printable(r.student):<{width}} {printable(r.assignment):<{a_width}} "
                         f"{score:>{s_width}}  {text}")
        for student, assignment, reason in self.failed:
            lines.append(f"{printable(student):<{width}} {printable(assignment):<{a_width}} "
                         f"{'FAILED':>{s_width}}  {printable(str(reason), 600)}")
        for folder, reason in self.refused:
            lines.append(f"{'REFUSED':<{width}} {printable(folder, 60)}: {reason}")
        manual = sum(1 for r in self.graded if r.needs_manual())
        lines.append(f"graded {len(self.graded)}, failed {len(self.failed)}, "
                     f"needing manual grading {manual}, already up to date {self.skipped}"
                     + (f", refused {len(self.refused)}" if self.refused else ""))
        return "\n".join(lines)


# A student id becomes a folder name, a gradebook key, a glob (nbgrader) and a CSV cell:
# letters (any script), digits and . _ @ + -, not starting with a dot, dash or plus.
STUDENT_ID = re.compile(r"^[^\W_][\w.@+-]{0,63}$")


def valid_student_id(name: str) -> bool:
    """True when ``name`` can be a student id everywhere the grader uses it."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return bool(STUDENT_ID.match(name))


def read_timestamp(path: Path) -> tuple[str | None, str | None]:
    """(timestamp in nbgrader's format, or None; a note for the summary, or None).

    ``timestamp.txt`` is written by whoever made the submission folder: anything that is
    not a plausible date (garbage, huge, not UTF-8, a link, far future) is ignored with a
    note, and lateness is then not assessed for that submission.
    """
    try:
        data = read_bytes(path, 4096)
    except FileNotFoundError:
        return None, None
    except OSError:
        return None, "timestamp.txt ignored (not a plain file, or too big); lateness not assessed"
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        return None, "timestamp.txt ignored (not UTF-8 text); lateness not assessed"
    if not text:
        return None, None
    from nbgrader.utils import parse_utc

    try:
        if len(text) > 64:
            raise ValueError("too long")
        when = parse_utc(text)
        if when.tzinfo is not None:
            when = when.astimezone(dt.UTC).replace(tzinfo=None)
    except Exception:  # dateutil raises many kinds of errors for garbage
        return None, (f"timestamp.txt ignored ({printable(text, 40)!r} is not a date); "
                      "lateness not assessed")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if not dt.datetime(1990, 1, 1) <= when <= now + dt.timedelta(days=1):
        return None, (f"timestamp.txt ignored ({when:%Y-%m-%d} is not a plausible "
                      "submission date); lateness not assessed")
    return when.strftime("%Y-%m-%d %H:%M:%S.%f UTC"), None


# -- what a notebook may carry into the feedback ------------------------------------------------

TEXT_MIMES = ("text/plain",)
IMAGE_MIMES = ("image/png", "image/jpeg", "image/gif")
_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]*$")


def _as_text(value) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    return None


def _clean_bundle(data) -> dict:
    """Plain text and images only: HTML, JS, SVG, LaTeX, Markdown and widget views of a
    student's output become a note (they could run script in the feedback page or break
    its rendering); anything of the wrong type is dropped."""
    clean: dict = {}
    if not isinstance(data, dict):
        return {"text/plain": "(malformed output removed)"}
    for mime in TEXT_MIMES:
        text = _as_text(data.get(mime))
        if text is not None:
            clean[mime] = text[:200_000]
    for mime in IMAGE_MIMES:
        text = _as_text(data.get(mime))
        if text is not None and _BASE64.match(text[:2_000_000]) and len(text) < 2_000_000:
            clean[mime] = text
    others = sorted(k for k in data if k not in clean)
    if not clean:
        shown = ", ".join(printable(str(k), 60) for k in others[:3]) or "empty"
        clean["text/plain"] = f"(output of type {shown} not shown in feedback)"
    return clean


def clean_outputs(nb, master_sources: set[str] | None = None) -> int:
    """Make a notebook safe to store and to render: returns how many things were changed.

    Code outputs keep text and images only (see :func:`_clean_bundle`); markdown the
    student wrote (any markdown cell that is not the instructor's) has its HTML escaped.
    """
    changed = 0
    master_sources = master_sources or set()
    cells = nb.get("cells")
    if not isinstance(cells, list):
        nb["cells"] = []
        return 1
    for cell in cells:
        if not isinstance(cell.get("source"), str):
            cell["source"] = _as_text(cell.get("source")) or ""
            changed += 1
        if not isinstance(cell.get("metadata"), dict):
            cell["metadata"] = {}
            changed += 1
        if cell.get("cell_type") == "markdown":
            if "attachments" in cell:
                del cell["attachments"]
                changed += 1
            if cell["source"].strip() not in master_sources and (
                    "<" in cell["source"] or ">" in cell["source"]):
                cell["source"] = cell["source"].replace("<", "&lt;").replace(">", "&gt;")
                changed += 1
            continue
        if cell.get("cell_type") != "code":
            continue
        if not isinstance(cell.get("execution_count"), (int, type(None))) or isinstance(
                cell.get("execution_count"), bool):
            cell["execution_count"] = None
        outputs = cell.get("outputs") if isinstance(cell.get("outputs"), list) else []
        kept = []
        for output in outputs:
            kind = output.get("output_type") if isinstance(output, dict) else None
            if kind == "stream":
                text = _as_text(output.get("text"))
                name = output.get("name") if output.get("name") in ("stdout", "stderr") \
                    else "stdout"
                kept.append(nbformat.v4.new_output("stream", name=name,
                                                   text=(text or "")[:500_000]))
                changed += text is None
            elif kind in ("display_data", "execute_result"):
                bundle = _clean_bundle(output.get("data"))
                changed += bundle != output.get("data")
                extra = {"execution_count": cell.get("execution_count")} \
                    if kind == "execute_result" else {}
                kept.append(nbformat.v4.new_output(kind, data=bundle, **extra))
            elif kind == "error":
                trace = output.get("traceback")
                trace = [str(t)[:20_000] for t in trace][:200] if isinstance(
                    trace, list) else []
                kept.append(nbformat.v4.new_output(
                    "error", ename=str(output.get("ename", ""))[:500],
                    evalue=str(output.get("evalue", ""))[:5_000], traceback=trace))
            else:
                changed += 1
        cell["outputs"] = kept
    return changed


def read_notebook_leniently(text: str):
    """A notebook from JSON text even when nbformat would refuse it (then cleaned)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return nbformat.reads(text, as_version=4)
        except Exception:
            raw = json.loads(text)
            if not isinstance(raw, dict):
                raise
            raw.setdefault("nbformat", 4)
            raw.setdefault("nbformat_minor", 5)
            if not isinstance(raw.get("metadata"), dict):
                raw["metadata"] = {}
            nb = nbformat.from_dict(raw)
            clean_outputs(nb)
            return nb


def master_sources_of(course: Course, assignment: str, notebook: str) -> set[str]:
    """The sources of the instructor's cells of one notebook (empty if unreadable)."""
    try:
        master = nbformat.read(course.source / assignment / f"{notebook}.ipynb", as_version=4)
    except Exception:
        return set()
    return {c.source.strip() for c in master.cells}


class Coordinator:
    """Find submissions, grade the pending ones through an executor, record each result once."""

    def __init__(self, course: Course, executor=None, *, workers: int | None = None,
                 limits: Limits | None = None, progress: bool = True, out=None):
        self.course = course
        self.executor = executor if executor is not None else make_executor(workers)
        self.limits = limits or Limits()
        if course.allowed_files and not self.limits.allowed_files:
            self.limits = dataclasses.replace(self.limits,
                                              allowed_files=list(course.allowed_files))
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
        # the course's settings shape the student versions (stubs, header): a new template
        digest.update(json.dumps(self.course.config(), default=repr, sort_keys=True).encode())
        for name in ("header", "footer"):
            value = self.course.config().IncludeHeaderFooter.get(name)
            if isinstance(value, str) and Path(value).is_file():
                digest.update(Path(value).read_bytes())
        folder = self.course.root / ".grading" / f"template-{digest.hexdigest()[:16]}"
        if (folder / "gradebook.db").exists():
            return folder
        building = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(building, ignore_errors=True)
        private = self.course.private(building)
        generate_student_versions(private, sorted(assignments))
        ignored = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__",
                                         *self.course.ignore())
        for assignment in assignments:
            shutil.copytree(self.course.source / assignment, building / "source" / assignment,
                            ignore=ignored)
        shutil.rmtree(building / "release", ignore_errors=True)
        building.rename(folder)
        folder.chmod(0o700)
        return folder

    # -- jobs -----------------------------------------------------------------------------
    def discover(self) -> list[GradeJob]:
        """Jobs for every gradable submission; what cannot be graded goes to ``refused``.

        Nothing in ``submitted/`` is trusted: links are never followed, odd folder names
        and broken ``timestamp.txt`` files become notes, and no single folder can stop
        the batch.
        """
        self.refused: list[tuple[str, str]] = []
        self.notes: dict[tuple[str, str], list[str]] = {}
        jobs: list[GradeJob] = []
        known = set(self.course.assignments())
        submitted = self.course.submitted
        if not submitted.is_dir():
            return jobs
        found: list[tuple[str, Path, Path]] = []
        for student_dir in sorted(submitted.iterdir()):
            if student_dir.is_symlink():
                self.refused.append((student_dir.name, "a symbolic link, not a folder: "
                                     "not followed, not graded"))
                continue
            if not student_dir.is_dir():
                if not student_dir.name.startswith("."):
                    self.refused.append((student_dir.name, "a file directly in submitted/, "
                                         "not graded: it belongs in submitted/<student>/"
                                         "<assignment>/"))
                continue
            if not valid_student_id(student_dir.name):
                self.refused.append((student_dir.name, "not a valid student id (letters, "
                                     "digits and . _ @ + - only, at most 64): rename the "
                                     "folder to grade it"))
                continue
            try:
                folders = sorted(student_dir.iterdir())
            except OSError as error:
                self.refused.append((student_dir.name, f"unreadable ({error.strerror})"))
                continue
            graded_any = False
            for folder in folders:
                if folder.name not in known:
                    self._misplaced(student_dir.name, folder, known)
                    continue
                graded_any = True
                if folder.is_symlink() or not folder.is_dir():
                    self.refused.append((f"{student_dir.name}/{folder.name}",
                                         "a symbolic link or a file, not a folder: not "
                                         "followed, not graded"))
                    continue
                found.append((student_dir.name, folder, folder))
            if not graded_any and not folders:
                self.refused.append((student_dir.name, "an empty folder: nothing to grade"))
        assignments = sorted({folder.name for _, folder, _ in found})
        if not assignments:
            return jobs
        self.ensure_assignments(assignments)
        template = self.template(assignments)
        for student, folder, _ in found:
            try:
                timestamp, note = read_timestamp(folder / "timestamp.txt")
                if note:
                    self.notes.setdefault((student, folder.name), []).append(note)
                jobs.append(GradeJob(
                    student=student, assignment=folder.name, submission=str(folder),
                    template=str(template), notebooks=self.course.notebooks_of(folder.name),
                    checksum=safe_checksum(folder, self.limits), timestamp=timestamp,
                    limits=self.limits.to_dict(), settings=self.course.grading_settings()))
            except Exception as error:  # never one folder for the whole batch
                self.refused.append((f"{student}/{folder.name}",
                                     f"could not be read ({type(error).__name__}: "
                                     f"{printable(str(error), 200)})"))
        return jobs

    def _misplaced(self, student: str, entry: Path, known: set[str]) -> None:
        """Say why something in a student's folder is not graded (dot files aside)."""
        import difflib

        if entry.name.startswith("."):
            return
        where = f"{student}/{printable(entry.name, 80)}"
        if entry.is_dir() and not entry.is_symlink():
            close = difflib.get_close_matches(entry.name, sorted(known), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}?)" if close else ""
            self.refused.append((where, f"not an assignment of this course{hint}; not "
                                 "graded: rename it to the assignment's name"))
        else:
            self.refused.append((where, "a file outside any assignment folder, not graded: "
                                 f"it belongs in submitted/{student}/<assignment>/"))

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
            nb = None
            if entry.get("autograded"):
                try:
                    nb = read_notebook_leniently(entry["autograded"])
                    clean_outputs(nb, master_sources_of(self.course, result.assignment, name))
                    strip_hidden_tests(nb)
                    match_cell_ids(nb)
                except Exception as error:
                    nb = None
                    result.messages.append(f"{name}: the graded notebook could not be "
                                           f"stored ({type(error).__name__}); no feedback")
            if nb is not None:
                partial = target.with_suffix(".ipynb.partial")
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    nbformat.write(nb, partial)
                partial.replace(target)
            elif target.exists():
                target.unlink()
        if result.timestamp:
            (folder / "timestamp.txt").write_text(result.timestamp)
        self._copy_files(result, folder)

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
                for grade_id, text in (entry.get("comments") or {}).items():
                    try:  # nbgrader's own comments ("No response."), like its autograde
                        comment = gb.find_comment(grade_id, name, result.assignment,
                                                  result.student)
                    except MissingEntry:
                        continue
                    comment.auto_comment = printable(text, 2000) if text else None
            summary = json.dumps({"flags": _bounded(result.flags()),
                                  "review": _bounded(result.review()),
                                  "messages": _bounded(result.all_messages()),
                                  "seconds": result.seconds})  # grading time (make report)
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

    def _copy_files(self, result: GradeResult, folder: Path) -> None:
        """The assignment's other files next to the graded notebooks, as nbgrader's
        autograde leaves them (feedback then copies them on): the student's files the
        course allows, then the master's own files over them (never the ignored ones).
        Other student files stay out, as they stayed out of the kernel."""
        from .staging import never_staged, scan

        if self.limits.allowed_files:
            submitted = self.course.submitted / result.student / result.assignment
            for rel in scan(submitted, self.limits).files:
                if rel.endswith(".ipynb") or rel == "timestamp.txt" or never_staged(rel) \
                        or not _matches_any(rel, self.limits.allowed_files):
                    continue
                try:
                    data = read_bytes(submitted / rel, self.limits.submission_file_bytes)
                except OSError:
                    continue
                _write_file(folder / rel, data)
        for rel in master_files(self.course, result.assignment):
            _write_file(folder / rel, (self.course.source / result.assignment / rel)
                        .read_bytes())

    def _record_failure(self, job: GradeJob, reason: str) -> None:
        """Journal a submission that could not be recorded (status 'error': retried)."""
        try:
            with self.gradebook() as gb:
                gb.db.rollback()
                key = (JOURNAL.c.student == job.student) & \
                    (JOURNAL.c.assignment == job.assignment)
                row = dict(checksum=job.checksum, timestamp=None, status="error",
                           score=None, max_score=None, needs_manual=True,
                           summary=json.dumps({"messages": [reason]}),
                           recorded_at=dt.datetime.now(dt.UTC).isoformat())
                if gb.db.execute(select(JOURNAL.c.student).where(key)).first() is None:
                    gb.db.execute(JOURNAL.insert().values(student=job.student,
                                                          assignment=job.assignment, **row))
                else:
                    gb.db.execute(JOURNAL.update().where(key).values(**row))
                gb.db.commit()
        except Exception:  # the gradebook itself is unwell: the summary still says it
            pass

    # -- the batch ----------------------------------------------------------------------------
    def run(self, jobs: list[GradeJob] | None = None) -> Summary:
        jobs = self.discover() if jobs is None else jobs
        todo = self.pending(jobs)
        summary = Summary(skipped=len(jobs) - len(todo),
                          refused=list(getattr(self, "refused", [])))
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
                        notes = getattr(self, "notes", {}).get((job.student, job.assignment))
                        result.messages += [n for n in notes or [] if n not in result.messages]
                        try:
                            self.record(result)
                            summary.graded.append(result)
                        except Exception as error:  # one student's problem, never the batch's
                            reason = (f"could not be recorded ({type(error).__name__}: "
                                      f"{printable(str(error), 300)}); retried next run")
                            self._record_failure(job, reason)
                            summary.failed.append((job.student, job.assignment, reason))
                    if bar is not None:
                        bar.update(1)
        finally:
            if bar is not None:
                bar.close()
        return summary


def master_files(course: Course, assignment: str) -> list[str]:
    """The master folder's files other than notebooks, less the course's ignore list."""
    from nbgrader.utils import is_ignored

    base = course.source / assignment
    ignore = course.ignore() + ["*.ipynb"]
    found = []
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(base)
        if path.is_file() and not path.is_symlink() and not any(
                is_ignored(str(base.joinpath(*rel.parts[:i + 1])), ignore)
                for i in range(len(rel.parts))):
            found.append(rel.as_posix())
    return found


def _matches_any(rel: str, patterns) -> bool:
    import fnmatch

    name = rel.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(name, p) for p in patterns)


def _write_file(dest: Path, data: bytes) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.is_symlink():
        dest.unlink()
    dest.write_bytes(data)


def _bounded(items: list, count: int = 60, size: int = 600) -> list[str]:
    """At most ``count`` printable messages of at most ``size`` characters (journal)."""
    return [printable(str(m), size) for m in items[:count]]


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
                        score, status = float(sn.score or 0.0), "graded"
                        manual = bool(sn.needs_manual_grade)
                    except MissingEntry:
                        score, status, manual = 0.0, "not submitted", False
                    except Exception as error:  # one bad row, never the whole export
                        gb.db.rollback()
                        score, manual = 0.0, True
                        status = f"error: {type(error).__name__}"
                    max_score = float(notebook.max_score or 0.0)
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
        for row in rows:  # no cell a spreadsheet would run as a formula
            writer.writerow({k: "'" + v if isinstance(v, str) and v[:1] in "=+-@\t\r"
                             and v else v for k, v in row.items()})
    return path


# -- feedback --------------------------------------------------------------------------------

def pending_grades(course: Course, student: str, assignment: str, notebook: str) -> set[str]:
    """Grade ids of one submitted notebook that still need a hand grade."""
    from nbgrader.api import Gradebook, MissingEntry

    try:
        with Gradebook(course.db_url, course.course_id) as gb:
            found = gb.find_submission_notebook(notebook, assignment, student)
            return {g.name for g in found.grades if g.needs_manual_grade}
    except MissingEntry:
        return set()


def generate_feedback(course: Course, problems: list[str] | None = None,
                      counts: dict | None = None) -> list[Path]:
    """HTML feedback for every autograded submission; hidden test code never included.

    One submission whose notebook cannot be rendered is skipped with a line in
    ``problems``; everybody else still gets feedback. Outputs are cleaned again before
    rendering (text and images only, the student's markdown escaped).
    """
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    problems = problems if problems is not None else []
    counts = counts if counts is not None else {}
    counts["pending"] = 0
    script = None  # the local MathJax, copied next to the pages on the first one
    config = course.config()
    config.Application.log_level = "CRITICAL"
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    made: list[Path] = []
    if not course.autograded.is_dir():
        return made
    for student_dir in sorted(course.autograded.iterdir()):
        if student_dir.is_symlink() or not student_dir.is_dir():
            continue
        if not valid_student_id(student_dir.name):
            problems.append(f"{printable(student_dir.name)}: not a valid student id; skipped")
            continue
        for folder in sorted(p for p in student_dir.iterdir()
                             if p.is_dir() and not p.is_symlink()):
            label = f"{student_dir.name}/{printable(folder.name)}"
            try:
                notebooks = [p for p in folder.glob("*.ipynb") if not p.is_symlink()]
                if not notebooks:
                    continue  # nothing gradable was submitted (missing/unreadable notebooks)
                for nb_path in notebooks:  # belt and braces: strip and clean again
                    nb = read_notebook_leniently(nb_path.read_text(errors="replace"))
                    clean_outputs(nb, master_sources_of(course, folder.name, nb_path.stem))
                    strip_hidden_tests(nb)
                    drop_rubrics(nb)  # the grader's rubric never reaches the student
                    strip_mark_schemes(nb)  # nor do the tasks' mark schemes
                    pending = pending_grades(course, student_dir.name, folder.name,
                                             nb_path.stem)
                    counts["pending"] += mark_pending(nb, pending)
                    match_cell_ids(nb)
                    with warnings.catch_warnings():  # always: nbgrader reads it strictly
                        warnings.simplefilter("ignore")
                        nbformat.write(nb, nb_path)
                outcome = api.generate_feedback(folder.name, student_dir.name, force=True)
                restore_rubrics(course, folder.name, notebooks)
                if not outcome["success"]:
                    detail = str(outcome.get("error") or "").strip().splitlines()
                    problems.append(f"{label}: feedback failed: "
                                    f"{printable(' '.join(detail[-2:]), 300)}")
                    continue
                pages = sorted((course.feedback / student_dir.name / folder.name)
                               .glob("*.html"))
                if pages and script is None:
                    script = offline_math.install(course.feedback) or False
                    if script is False:
                        problems.append("MathJax is not installed here (jupyter-server-"
                                        "mathjax): the pages load it from the network")
                for page in pages:
                    if script:
                        offline_math.localize(page, script)
                made += pages
            except Exception as error:  # one student's notebook, never everyone's feedback
                problems.append(f"{label}: feedback failed ({type(error).__name__}: "
                                f"{printable(str(error), 200)})")
    return made


def restore_rubrics(course: Course, assignment: str, notebooks: list[Path]) -> None:
    """After feedback: pending notes out, rubric cells back in, for the formgrader."""
    for nb_path in notebooks:
        nb = read_notebook_leniently(nb_path.read_text(errors="replace"))
        drop_pending_notes(nb)
        try:
            master = nbformat.read(course.source / assignment / nb_path.name, as_version=4)
        except Exception:  # noqa: BLE001 - no master, no rubric: the grade is untouched
            master = None
        if master is not None:
            insert_rubrics(nb, master)
            restore_tasks(nb, master)
        match_cell_ids(nb)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nbformat.write(nb, nb_path)


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)

"""The pure worker: grade ONE submission (student x assignment) and return plain data.

:func:`grade_submission` takes a :class:`GradeJob`, builds a private temporary nbgrader
course (a copy of the template gradebook holding the masters' cells, the submission
under ``submitted/``), runs nbgrader's autograde with the sandboxed kernel and the
tamper checks, and returns a :class:`GradeResult`. It never opens the shared gradebook,
so it can run in any process or on any machine (local pool, Dask) and may even run twice.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import secrets
import shutil
import tempfile
import time
import traceback
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from .review import defined_names
from .sandbox import Limits

SOLUTION_ID_META = "nbgrader"


def submission_checksum(folder: Path) -> str:
    """sha256 over the relative paths and contents of every file in a submission."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if ".ipynb_checkpoints" in rel:
            continue
        digest.update(rel.encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


@dataclass
class GradeJob:
    """One submission to grade. Plain data: safe to pickle and send to another process."""

    student: str
    assignment: str
    submission: str  # folder with the student's files for this assignment
    template: str  # folder with gradebook.db + source/<assignment>/ (from the coordinator)
    notebooks: list[str]  # expected notebook names (without .ipynb)
    checksum: str = ""
    timestamp: str | None = None
    limits: dict = field(default_factory=dict)
    # the course's own nbgrader settings autograde needs (Course.grading_settings):
    # course id, ignore list, OverwriteCells, LimitOutput, ... as section -> name -> value
    settings: dict = field(default_factory=dict)

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.student, self.assignment, self.checksum)

    @property
    def key(self) -> str:
        return f"{self.student}-{self.assignment}"


@dataclass
class GradeResult:
    """What grading one submission produced (JSON-friendly: see :meth:`to_json`).

    ``notebooks[name]`` has ``grades`` (grade_id -> {score, max_score, needs_manual,
    auto}; task cells included), ``comments`` (grade_id of a solution or task cell -> the
    comment nbgrader wrote, e.g. "No response.", or None), ``flags`` (faked tests:
    grade_id + reason), ``review`` (static findings for a human), ``messages`` and
    ``autograded`` (the autograded notebook as JSON text, or None).
    ``status`` is ``graded`` or ``failed`` (the grader itself could not finish: retried on
    the next run).
    """

    student: str
    assignment: str
    checksum: str
    timestamp: str | None
    status: str = "graded"
    notebooks: dict = field(default_factory=dict)
    messages: list = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> GradeResult:
        return cls(**json.loads(text))

    # -- summaries ----------------------------------------------------------------------
    def score(self) -> float:
        return sum(g["score"] or 0 for nb in self.notebooks.values()
                   for g in nb.get("grades", {}).values())

    def max_score(self) -> float:
        return sum(g["max_score"] or 0 for nb in self.notebooks.values()
                   for g in nb.get("grades", {}).values())

    def needs_manual(self) -> bool:
        return any(g["needs_manual"] for nb in self.notebooks.values()
                   for g in nb.get("grades", {}).values())

    def flags(self) -> list[str]:
        out = []
        for name, nb in self.notebooks.items():
            out += [f"{name}/{f['grade_id']}: {f['reason']}" for f in nb.get("flags", [])]
        return out

    def review(self) -> list[str]:
        return [f"{name}: {r}" for name, nb in self.notebooks.items()
                for r in nb.get("review", [])]

    def all_messages(self) -> list[str]:
        out = list(self.messages)
        for name, nb in self.notebooks.items():
            out += [f"{name}: {m}" for m in nb.get("messages", [])]
        return out


# -- checks before grading ----------------------------------------------------------------

SUSPICIOUS = [
    (r"set_custom_exc|CustomTB|custom_exceptions", "installs a custom IPython exception handler"),
    (r"excepthook", "replaces sys.excepthook"),
    (r"showtraceback|_showtraceback|InteractiveTB", "patches IPython's traceback display"),
    (r"input_transformers|ast_transformers", "adds IPython code transformers"),
    (r"events\s*\.\s*register|pre_run_cell|post_run_cell", "registers IPython event hooks"),
    (r"NBGRADER|autograd(e|ing)\b|/home/student|getuid|\bgetenv\b|os\s*\.\s*environ",
     "inspects its environment (possible grading-mode detection)"),
    (r"\b(math|np|numpy|builtins|__builtins__)\s*\.\s*[A-Za-z_]+\s*=(?!=)",
     "reassigns a function of math/numpy/builtins"),
    (r"setattr\s*\(\s*(math|np|numpy|builtins|__builtins__)\b",
     "patches math/numpy/builtins with setattr"),
    (r"\bsocket\b|urllib|requests\.|http\.client", "tries to use the network"),
    (r"open\s*\(\s*[rbf]*['\"](/|\.\./)", "opens files outside its folder"),
]


# Read from the code's syntax tree, not its text: ``model.compile()`` or a comment that
# mentions ``exit()`` is ordinary; the builtin ``compile``/``exit`` by name is not.
DYNAMIC_NAMES = frozenset({"exec", "eval", "compile", "__import__"})
EXIT_NAMES = frozenset({"exit", "quit"})
EXIT_CALLS = frozenset({"sys.exit", "os._exit", "os.kill", "os.killpg", "os.abort"})


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def _magic_exit(call: ast.Call) -> bool:
    """``%exit``/``%quit`` (as IPython rewrites them) or ``get_ipython().ask_exit()``."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr == "ask_exit":
        return True
    first = call.args[0] if call.args else None
    return func.attr == "run_line_magic" and isinstance(first, ast.Constant) and \
        first.value in ("exit", "quit", "Exit", "Quit")


def syntax_findings(tree: ast.AST) -> list[str]:
    """Dynamic code and kernel exits, from names and calls (never from strings)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id in DYNAMIC_NAMES:
                found.append("runs dynamically built code")
            elif node.id in EXIT_NAMES:
                found.append("exits or kills the kernel")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) \
                else [node.module or ""]
            if any(m.split(".")[0] == "importlib" for m in modules):
                found.append("runs dynamically built code")
        elif isinstance(node, ast.Call) and (_dotted(node.func) in EXIT_CALLS
                                             or _magic_exit(node)):
            found.append("exits or kills the kernel")
    return sorted(set(found))


def parse_cell(source: str) -> ast.AST | None:
    """A cell's syntax tree as IPython would run it (magics become calls), or None."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ValueError):
        return None
    except Exception:  # noqa: BLE001 - IPython's transformers on hostile text
        return None


def _always_true_eq(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "__eq__":
            returns = [n for n in ast.walk(node) if isinstance(n, ast.Return)]
            if returns and all(isinstance(r.value, ast.Constant) and r.value.value is True
                               for r in returns):
                return True
    return False


def review_findings(nb, helper_names: set[str], master=None) -> list[str]:
    """Static findings in the student's own code (cells that are not the master's code)."""
    found: list[str] = []
    unchanged = {c.source.strip() for c in master.cells} if master is not None else set()
    for index, cell in enumerate(nb.cells):
        if cell.source.strip() in unchanged:
            continue  # the instructor's own code, as released
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code" or meta.get("locked") or meta.get("grade") and not \
                meta.get("solution"):
            continue
        source = cell.source
        for pattern, label in SUSPICIOUS:
            if re.search(pattern, source):
                found.append(f"cell {index}: {label}")
        tree = parse_cell(source)
        if tree is None:
            continue
        found += [f"cell {index}: {label}" for label in syntax_findings(tree)]
        if _always_true_eq(tree):
            found.append(f"cell {index}: defines an __eq__ that is always True")
        redefined = defined_names(source, imports=True) & helper_names
        if redefined:
            found.append(f"cell {index}: redefines the instructor's helper(s) "
                         f"{', '.join(sorted(redefined))}")
    return sorted(set(found), key=found.index)


def helper_names_of(master) -> set[str]:
    """Names the instructor's locked, non-test code cells define (used by the tests)."""
    names: set[str] = set()
    for cell in master.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("locked") and not meta.get("grade"):
            names |= {n for n in defined_names(cell.source, imports=True)
                      if n not in ("math", "np", "numpy")}
    return names


def _valid_nbgrader_meta(meta) -> bool:
    if not isinstance(meta, dict):
        return False
    if not isinstance(meta.get("grade_id", ""), str) or not meta.get("grade_id", "x"):
        return False
    for key in ("grade", "solution", "locked", "task"):
        if key in meta and not isinstance(meta[key], bool):
            return False
    if "points" in meta:
        try:
            float(meta["points"])
        except (TypeError, ValueError):
            return False
    return True


def sanitize_notebook(path: Path, grade_ids: set[str]) -> tuple[object | None, list[str]]:
    """Read a submitted notebook; repair what nbgrader would choke on. (nb or None, messages)."""
    messages = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nb = nbformat.read(path, as_version=4)
    except Exception as error:  # corrupt JSON, wrong format, ...
        return None, [f"{path.name} could not be read ({type(error).__name__}: "
                      f"{str(error)[:160]}); scored 0"]
    seen: set[str] = set()
    drop: list[int] = []
    for index, cell in enumerate(nb.cells):
        if "nbgrader" in cell.get("metadata", {}):
            meta = cell.metadata["nbgrader"]
            if not _valid_nbgrader_meta(meta) or (
                    meta.get("grade_id") not in grade_ids and (meta.get("grade")
                                                               or meta.get("solution"))):
                del cell.metadata["nbgrader"]
                messages.append(f"cell {index}: broken nbgrader metadata removed (the "
                                "master's test cells are restored)")
        meta = cell.get("metadata", {}).get("nbgrader")
        if isinstance(meta, dict) and meta.get("grade_id") in seen:
            if meta.get("grade") and not meta.get("solution"):
                drop.append(index)
                messages.append(f"cell {index}: duplicate of test cell {meta['grade_id']} "
                                "removed")
            else:
                del cell.metadata["nbgrader"]
                messages.append(f"cell {index}: duplicate grade id {meta['grade_id']} "
                                "(only the first copy is graded)")
        elif isinstance(meta, dict):
            seen.add(meta.get("grade_id"))
        if cell.cell_type == "code":
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
    nb.cells = [c for i, c in enumerate(nb.cells) if i not in drop]
    match_cell_ids(nb)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nbformat.validate(nb)
    except Exception as error:
        messages.append(f"{path.name}: notebook format repaired ({str(error)[:120]})")
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb, messages


def match_cell_ids(nb) -> None:
    """Cell ids as the notebook's format wants them: unique ids from nbformat 4.5 on
    (copied cells share theirs), none before (a 4.0 notebook with ids does not validate;
    nbgrader keeps such a notebook at its own version, and so does the grader)."""
    if (nb.get("nbformat"), nb.get("nbformat_minor", 0)) < (4, 5):
        for cell in nb.cells:
            cell.pop("id", None)
        return
    ids: set[str] = set()
    for cell in nb.cells:
        if not cell.get("id") or cell["id"] in ids:
            cell["id"] = secrets.token_hex(4)
        ids.add(cell["id"])


def _grade_ids_of(nb) -> set[str]:
    return {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells
            if isinstance(c.get("metadata", {}).get("nbgrader"), dict)} - {None}


# -- the worker ------------------------------------------------------------------------------

def grade_submission(job: GradeJob) -> GradeResult:
    """Grade one submission in a private temporary course; never raises for student errors."""
    started = time.monotonic()
    # nbgrader's ORM warns about its own relationship handling on every new submission.
    warnings.filterwarnings("ignore", message=".*not in session.*")
    result = GradeResult(job.student, job.assignment, job.checksum, job.timestamp)
    tmp = Path(tempfile.mkdtemp(prefix="treeprop-grade-"))
    try:
        _grade_into(job, result, tmp)
    except Exception as error:  # the grader itself failed: retried on the next run
        result.status = "failed"
        result.error = f"{type(error).__name__}: {error}"
        result.messages.append("grader error: " + traceback.format_exc(limit=3)[-600:])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result.seconds = round(time.monotonic() - started, 3)
    return result


def _grade_into(job: GradeJob, result: GradeResult, tmp: Path) -> None:
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    template = Path(job.template)
    root = tmp / "course"
    sub_dir = root / "submitted" / job.student / job.assignment
    sub_dir.mkdir(parents=True)
    shutil.copy(template / "gradebook.db", root / "gradebook.db")
    masters = {name: nbformat.read(template / "source" / job.assignment / f"{name}.ipynb",
                                   as_version=4) for name in job.notebooks}
    ids_of = {name: _grade_ids_of(nb) for name, nb in masters.items()}

    # 1-2. the checked notebooks in sub_dir, the kernel's working folder (staging.py:
    # links never followed, extra files kept from the kernel, sizes bounded)
    from .staging import stage_submission

    work = tmp / "kernel" / "work"
    readable = stage_submission(job, result, sub_dir, work, ids_of)
    ipc = tmp / "kernel" / "ipc"
    limits = Limits.from_dict(job.limits)

    # 3. nbgrader autograde with our preprocessors and the sandboxed kernel
    from .execute import SandboxExecute

    c = Config()
    for section, values in (job.settings or {}).items():  # the course's own settings
        for name, value in values.items():
            setattr(getattr(c, section), name, value)
    c.CourseDirectory.course_id = course_id_of(job)
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.source_directory = str(template / "source")
    c.CourseDirectory.db_url = "sqlite:///" + str(root / "gradebook.db")
    c.CourseDirectory.student_id = job.student
    c.CourseDirectory.assignment_id = job.assignment
    c.Autograde.create_student = True
    c.OverwriteCells.add_missing_cells = True
    c.Execute.timeout = int(limits.cell_seconds)
    c.Execute.kernel_manager_class = "autograder.sandbox.SandboxKernelManager"
    c.SandboxKernelManager.sandbox_work = str(work)
    c.SandboxKernelManager.sandbox_ipc = str(ipc)
    c.SandboxKernelManager.sandbox_limits = limits.to_dict()
    c.Application.log_level = "ERROR"
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        IgnorePattern,
        LimitOutput,
        SaveAutoGrades,
    )

    c.Autograde.autograde_preprocessors = [
        SandboxExecute, IgnorePattern,
        ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades, AssignLatePenalties,
        CheckCellMetadata,
    ]
    # keep our report in the notebook metadata through ClearMetadata
    c.ClearMetadataPreprocessor.preserve_nb_metadata_mask = [
        ("language_info", "name"), ("treeprop_grading",), ("kernelspec",)]
    c.ClearMetadataPreprocessor.preserve_cell_metadata_mask = [("nbgrader",)]

    if readable:
        import io
        import logging

        coursedir = CourseDirectory(config=c)
        app = Autograde(coursedir=coursedir, config=c)
        app.force = True
        log = io.StringIO()
        handler = logging.StreamHandler(log)
        handler.setLevel(logging.ERROR)
        app.log.addHandler(handler)
        try:
            app.start()
        except Exception as error:  # nbgrader reports per-notebook failures this way
            detail = [line for line in log.getvalue().splitlines() if line.strip()]
            result.messages.append(f"nbgrader could not grade it: {type(error).__name__}: "
                                   + " | ".join(detail[-3:])[-500:])
        finally:
            app.log.removeHandler(handler)

    # 4. read the private gradebook and the autograded notebooks
    _collect(job, result, root, masters)


def course_id_of(job: GradeJob) -> str:
    return str((job.settings or {}).get("CourseDirectory", {}).get("course_id") or "treeprop")


def _collect(job: GradeJob, result: GradeResult, root: Path, masters: dict) -> None:
    from nbgrader.api import Gradebook, MissingEntry

    from .review import answer_key_findings, channel_findings
    from .rubric import insert_rubrics

    autograded_dir = root / "autograded" / job.student / job.assignment
    answer_key: set[tuple[str, str]] = set()  # (notebook, test grade id) scored 0
    for name, master in masters.items():
        entry = {"grades": {}, "flags": [], "review": [], "messages": [], "autograded": None}
        path = autograded_dir / f"{name}.ipynb"
        if path.exists():
            nb = nbformat.read(path, as_version=4)
            report = nb.metadata.pop("treeprop_grading", {})
            entry["flags"] = report.get("flags", [])
            entry["messages"] = report.get("messages", [])
            entry["review"] = review_findings(nb, helper_names_of(master), master)
            entry["review"] += channel_findings(nb, master)
            for tests, message in answer_key_findings(nb, master):
                entry["review"].append(message)
                for test in tests:
                    answer_key.add((name, test))
                    entry["flags"].append({"grade_id": test, "reason": message})
            insert_rubrics(nb, master)  # for the formgrader; feedback drops them
            match_cell_ids(nb)
            entry["autograded"] = nbformat.writes(nb)
        result.notebooks[name] = entry
    solution_ids = {name: {c.metadata["nbgrader"]["grade_id"] for c in master.cells
                           if c.metadata.get("nbgrader", {}).get("solution")}
                    for name, master in masters.items()}
    with Gradebook("sqlite:///" + str(root / "gradebook.db"), course_id_of(job)) as gb:
        try:
            submission = gb.find_submission(job.assignment, job.student)
        except MissingEntry:
            submission = None
        assignment = gb.find_assignment(job.assignment)
        for notebook in assignment.notebooks:
            entry = result.notebooks.setdefault(notebook.name, {
                "grades": {}, "flags": [], "review": [], "messages": [], "autograded": None})
            graded, comments = {}, {}
            if submission is not None:
                try:
                    sn = gb.find_submission_notebook(notebook.name, job.assignment, job.student)
                    graded = {g.name: g for g in sn.grades}
                    comments = {c.name: c.auto_comment for c in sn.comments}
                except MissingEntry:
                    graded = {}
            entry["comments"] = {}
            tasks = {cell.name for cell in notebook.task_cells}
            # every graded cell: tests, hand-graded answers and task cells (their points
            # are part of the maximum like nbgrader's)
            for cell in [*notebook.grade_cells, *notebook.task_cells]:
                grade = graded.get(cell.name)
                score, needs_manual = 0.0, False
                if grade is not None and entry["autograded"] is not None:
                    value = grade.manual_score if grade.manual_score is not None \
                        else grade.auto_score
                    score = float(value or 0.0)
                    needs_manual = bool(grade.needs_manual_grade)
                    if (notebook.name, cell.name) in answer_key:
                        score = 0.0  # delegated to treeprop's own implementation
                entry["grades"][cell.name] = {
                    "score": score,
                    "max_score": float(cell.max_score or 0),
                    "needs_manual": needs_manual,
                    "auto": cell.name not in solution_ids.get(notebook.name, set())
                    and cell.name not in tasks,
                }
            if entry["autograded"] is not None:
                entry["comments"] = {name: text for name, text in comments.items()
                                     if isinstance(text, str) or text is None}

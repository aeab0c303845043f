"""The nbgrader course: where things are, and nbgrader configuration built in code."""

from __future__ import annotations

import copy
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from traitlets.config import Config

PACKAGE_DIR = Path(__file__).resolve().parent
AUTOGRADER_DIR = PACKAGE_DIR.parent
REPO = AUTOGRADER_DIR.parent
CONFIG_FILE = AUTOGRADER_DIR / "nbgrader_config.py"
ASSIGNMENT_PATTERN = re.compile(r"^\d\d_[A-Za-z0-9_]+$")


def assignment_ids(source: Path) -> list[str]:
    """Assignment folders under ``source``: ``<id>/<id>.ipynb`` (``extras/`` is not one)."""
    found = []
    if not source.is_dir():
        return found
    for folder in sorted(source.iterdir()):
        if folder.is_dir() and folder.name != "extras" and any(folder.glob("*.ipynb")):
            if ASSIGNMENT_PATTERN.match(folder.name) or source != REPO / "notebooks":
                found.append(folder.name)
    return found


def normalise_db_url(url: str) -> str:
    """``postgresql://`` -> the installed driver (psycopg2-binary unless psycopg 3 is there)."""
    if url.startswith(("postgresql://", "postgres://")):
        rest = url.split("://", 1)[1]
        try:
            import psycopg  # noqa: F401

            return "postgresql+psycopg://" + rest
        except ImportError:
            return "postgresql+psycopg2://" + rest
    return url


# The formgrader writes a config of our own settings into a course that has none; it is
# ours, not the instructor's (see autograder.formgrade.MARKER).
GENERATED_MARKER = "# Written by `python -m autograder formgrade`"
# What a course's own nbgrader_config.py may not decide: where this run puts things.
DECIDED_HERE = {"CourseDirectory": ("root", "source_directory", "db_url")}
STEP_FOLDERS = {"release": "release_directory", "submitted": "submitted_directory",
                "autograded": "autograded_directory", "feedback": "feedback_directory"}


class CourseConfigError(RuntimeError):
    """The course's ``nbgrader_config.py`` cannot be read; said with the file's name."""


def load_course_settings(root: Path) -> tuple[Config, Path | None]:
    """The course's own ``<root>/nbgrader_config.py`` as nbgrader would load it (traitlets).

    Returns an empty config when the course has none (or only the one the formgrader
    wrote from our settings). A file that fails to load stops the command with its error,
    never a silent grading with other settings.
    """
    from traitlets.config.loader import ConfigFileNotFound, PyFileConfigLoader

    path = Path(root) / "nbgrader_config.py"
    if not path.is_file():
        return Config(), None
    try:
        if path.read_text(errors="replace").startswith(GENERATED_MARKER):
            return Config(), None
        loader = PyFileConfigLoader(path.name, path=str(path.parent))
        return loader.load_config(), path
    except ConfigFileNotFound:
        return Config(), None
    except Exception as error:  # a syntax or run-time error in the instructor's file
        raise CourseConfigError(f"{path} could not be loaded: {type(error).__name__}: "
                                f"{error}") from error


@dataclass
class Course:
    """An nbgrader course directory (``root``) fed from a source folder of masters.

    The course's own ``nbgrader_config.py`` (in ``root``) is loaded as nbgrader loads it;
    its settings (course id, stubs, header and footer, ignore list, cell timeout, any
    other nbgrader option) win over treeprop's, which are only the defaults. Where the
    course lives (root, source, gradebook) is decided by the command line first.
    """

    root: Path = field(default_factory=lambda: REPO / "build" / "course")
    source: Path = field(default_factory=lambda: REPO / "notebooks")
    db_url: str | None = None
    course_id: str | None = None  # None: the course config's, else "treeprop"
    # files a student may hand in besides the notebooks that reach the kernel (fnmatch
    # patterns on the relative path or the name, e.g. "*.csv"); everything else is kept
    # from the kernel and named in the review (see autograder.staging)
    allowed_files: list[str] = field(default_factory=list)
    # the course's own nbgrader settings (None: loaded from root/nbgrader_config.py)
    settings: Config | None = None
    settings_file: Path | None = None

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()
        self.source = Path(self.source).resolve()
        if self.settings is None:
            self.settings, self.settings_file = load_course_settings(self.root)
        directory = self.settings.get("CourseDirectory", {})
        if not self.course_id:
            self.course_id = str(directory.get("course_id") or "treeprop")
        if not self.db_url and directory.get("db_url"):
            self.db_url = str(directory["db_url"])
        if not self.db_url:
            self.db_url = "sqlite:///" + str(self.root / "gradebook.db")
        self.db_url = normalise_db_url(self.db_url)

    @classmethod
    def open(cls, root: Path, source: Path | None = None, db_url: str | None = None,
             **kwargs) -> Course:
        """The course at ``root``: masters from ``source``, else the course config's
        ``source_directory``, else ``root/source`` (nbgrader's layout), else treeprop's."""
        settings, settings_file = load_course_settings(Path(root))
        if source is None:
            configured = settings.get("CourseDirectory", {}).get("source_directory")
            if configured:
                source = Path(root) / configured  # absolute paths stay as they are
            elif (Path(root) / "source").is_dir():
                source = Path(root) / "source"
        if source is not None:
            kwargs["source"] = Path(source)
        return cls(root=Path(root), db_url=db_url, settings=settings,
                   settings_file=settings_file, **kwargs)

    def private(self, root: Path) -> Course:
        """The same course (masters, settings) in another folder with its own gradebook."""
        import dataclasses

        return dataclasses.replace(self, root=Path(root), db_url="sqlite:///" + str(
            Path(root).resolve() / "gradebook.db"))

    # -- folders ---------------------------------------------------------------------------
    def _step(self, name: str) -> Path:
        configured = self.settings.get("CourseDirectory", {}).get(STEP_FOLDERS[name])
        return self.root / str(configured or name)

    @property
    def release(self) -> Path:
        return self._step("release")

    @property
    def submitted(self) -> Path:
        return self._step("submitted")

    @property
    def autograded(self) -> Path:
        return self._step("autograded")

    @property
    def feedback(self) -> Path:
        return self._step("feedback")

    def assignments(self) -> list[str]:
        return assignment_ids(self.source)

    def notebooks_of(self, assignment: str) -> list[str]:
        """Notebook names (without ``.ipynb``) of an assignment's master folder."""
        folder = self.source / assignment
        return sorted(p.stem for p in folder.glob("*.ipynb"))

    # -- the course's settings -----------------------------------------------------------------
    def ignore(self) -> list[str]:
        """Patterns nbgrader leaves out of releases and copies (the course's, else ours)."""
        return list(self.config().CourseDirectory.ignore)

    def cell_timeout(self) -> float | None:
        """The course's time limit per cell (``Execute.timeout`` or
        ``ExecutePreprocessor.timeout``), or None when it sets none (or no limit)."""
        for section in ("Execute", "ExecutePreprocessor"):
            value = self.settings.get(section, {}).get("timeout")
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
                return float(value)
        return None

    def grading_settings(self) -> dict:
        """The course's settings a worker needs to autograde like nbgrader, as plain data
        (a job carries them to another process or machine): section -> name -> value."""
        import json

        wanted = {"CourseDirectory": ("course_id", "ignore"),
                  "Autograde": ("exclude_overwriting",),
                  "OverwriteCells": None, "LimitOutput": None, "IgnorePattern": None,
                  "AssignLatePenalties": None, "LateSubmissionPlugin": None}
        config = self.config()
        out: dict = {}
        for section, names in wanted.items():
            values = config.get(section, {})
            for name in names or list(values):
                if name not in values:
                    continue
                value = values[name]
                try:
                    json.dumps(value)
                except TypeError:
                    continue  # a class or function: cannot travel as data
                out.setdefault(section, {})[name] = value
        return out

    # -- nbgrader configuration ----------------------------------------------------------------
    def config(self, **overrides: object) -> Config:
        """The course's nbgrader configuration: treeprop's defaults, then the course's own
        ``nbgrader_config.py``, then where this run keeps things (root, source, gradebook)."""
        c = Config()
        c.CourseDirectory.course_id = self.course_id
        c.CourseDirectory.release_directory = "release"
        c.CourseDirectory.submitted_directory = "submitted"
        c.CourseDirectory.autograded_directory = "autograded"
        c.CourseDirectory.feedback_directory = "feedback"
        c.CourseDirectory.ignore = [
            ".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".DS_Store",
        ]
        c.ClearSolutions.code_stub = {
            "python": '# YOUR CODE HERE\nraise NotImplementedError("Exercise not done yet")',
        }
        c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
        c.ClearSolutions.enforce_metadata = True
        c.OverwriteCells.add_missing_cells = True
        c.Autograde.create_student = True
        c.Exchange.root = str(self.root / "exchange")
        own = copy.deepcopy(self.settings)
        for section, names in DECIDED_HERE.items():
            for name in names:
                own.get(section, {}).pop(name, None)
        c.merge(own)
        c.CourseDirectory.course_id = self.course_id
        c.CourseDirectory.root = str(self.root)
        c.CourseDirectory.source_directory = str(self.source)
        c.CourseDirectory.db_url = self.db_url
        # nbgrader opens them from the folder it runs in: the course config's folder
        base = self.settings_file.parent if self.settings_file else self.root
        for name in ("header", "footer"):
            value = own.get("IncludeHeaderFooter", {}).get(name)
            if isinstance(value, str) and value and not os.path.isabs(value):
                setattr(c.IncludeHeaderFooter, name, str(Path(base).resolve() / value))
        for key, value in overrides.items():
            section, name = key.split(".")
            setattr(getattr(c, section), name, value)
        return c


class MasterError(RuntimeError):
    """A master notebook nbgrader cannot grade with; said with the notebook and the cell."""


def check_masters(course: Course, assignments: list[str]) -> None:
    """Refuse masters whose cells carry a ``grade_id`` that is not a non-empty string.

    nbgrader keys every grade by it; a number, ``null`` or a list there makes nbgrader fail
    with a schema error that names no cell (or records grades under the wrong key), so it
    is said here, before anything is released or graded, naming the cell.
    """
    import json

    problems = []
    for assignment in assignments:
        for path in sorted((course.source / assignment).glob("*.ipynb")):
            try:
                cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
            except (OSError, ValueError, AttributeError) as error:
                problems.append(f"{assignment}/{path.name}: cannot be read ({error})")
                continue
            for index, cell in enumerate(cells if isinstance(cells, list) else []):
                meta = cell.get("metadata", {}).get("nbgrader") if isinstance(cell, dict) \
                    else None
                if not isinstance(meta, dict):
                    continue
                graded = any(meta.get(k) for k in ("grade", "solution", "task", "locked"))
                if "grade_id" not in meta and not graded:
                    continue
                value = meta.get("grade_id")
                if isinstance(value, str) and value.strip():
                    continue
                source = cell.get("source", "")
                source = "".join(source) if isinstance(source, list) else str(source)
                first = next((line.strip() for line in source.splitlines() if line.strip()),
                             "")[:60]
                kind = "missing" if "grade_id" not in meta else \
                    f"{json.dumps(value)[:40]} ({type(value).__name__})"
                problems.append(f"{assignment}/{path.name}, cell {index} "
                                f"({cell.get('cell_type', '?')} cell starting {first!r}): "
                                f"its nbgrader grade_id is {kind}; it must be a non-empty "
                                "string")
    if problems:
        raise MasterError("the masters cannot be graded:\n  " + "\n  ".join(problems))


def _quiet(app_config: Config) -> Config:
    app_config.Application.log_level = "WARN"
    return app_config


def generate_student_versions(course: Course, assignments: list[str] | None = None,
                              *, force: bool = True) -> list[Path]:
    """Run nbgrader ``generate_assignment`` for each assignment; returns the release folders.

    This also records every assignment, notebook and grade cell in the course's gradebook
    (the autograder restores test cells and hidden tests from there).
    """
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    assignments = course.assignments() if assignments is None else assignments
    check_masters(course, assignments)
    config = _quiet(course.config())
    course.root.mkdir(parents=True, exist_ok=True)
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    done = []
    for assignment in assignments:
        result = api.generate_assignment(assignment, force=force)
        if not result["success"]:
            raise RuntimeError(
                f"nbgrader could not generate {assignment}: {result['error']}\n{result['log']}"
            )
        done.append(course.release / assignment)
    return done


def copy_tree(source: Path, dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns(
        ".ipynb_checkpoints", "__pycache__", "*.pyc"))


def scrub_environment() -> dict[str, str]:
    """Environment for nbgrader runs: no inherited Jupyter config from the instructor's home."""
    env = dict(os.environ)
    env.pop("JUPYTER_CONFIG_DIR", None)
    return env


def _prepare_nbgrader() -> None:
    """nbgrader shells out to ``alembic`` (from the venv) every time it opens a gradebook."""
    bindir = os.path.dirname(os.path.abspath(os.sys.executable))
    path = os.environ.get("PATH", "")
    if bindir not in path.split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + path
    import functools

    import nbgrader.api

    # The migration head never changes while we run: ask alembic once, not per gradebook open.
    if not hasattr(nbgrader.api.get_alembic_version, "cache_info"):
        nbgrader.api.get_alembic_version = functools.lru_cache(maxsize=1)(
            nbgrader.api.get_alembic_version
        )


_prepare_nbgrader()

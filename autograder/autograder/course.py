"""The nbgrader course: where things are, and nbgrader configuration built in code."""

from __future__ import annotations

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


@dataclass
class Course:
    """An nbgrader course directory (``root``) fed from a source folder of masters."""

    root: Path = field(default_factory=lambda: REPO / "build" / "course")
    source: Path = field(default_factory=lambda: REPO / "notebooks")
    db_url: str | None = None
    course_id: str = "treeprop"
    # files a student may hand in besides the notebooks that reach the kernel (fnmatch
    # patterns on the relative path or the name, e.g. "*.csv"); everything else is kept
    # from the kernel and named in the review (see autograder.staging)
    allowed_files: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()
        self.source = Path(self.source).resolve()
        if not self.db_url:
            self.db_url = "sqlite:///" + str(self.root / "gradebook.db")
        self.db_url = normalise_db_url(self.db_url)

    # -- folders ---------------------------------------------------------------------------
    @property
    def release(self) -> Path:
        return self.root / "release"

    @property
    def submitted(self) -> Path:
        return self.root / "submitted"

    @property
    def autograded(self) -> Path:
        return self.root / "autograded"

    @property
    def feedback(self) -> Path:
        return self.root / "feedback"

    def assignments(self) -> list[str]:
        return assignment_ids(self.source)

    def notebooks_of(self, assignment: str) -> list[str]:
        """Notebook names (without ``.ipynb``) of an assignment's master folder."""
        folder = self.source / assignment
        return sorted(p.stem for p in folder.glob("*.ipynb"))

    # -- nbgrader configuration ----------------------------------------------------------------
    def config(self, **overrides: object) -> Config:
        """The course's nbgrader configuration (the same as ``nbgrader_config.py``)."""
        c = Config()
        c.CourseDirectory.course_id = self.course_id
        c.CourseDirectory.root = str(self.root)
        c.CourseDirectory.source_directory = str(self.source)
        c.CourseDirectory.release_directory = "release"
        c.CourseDirectory.submitted_directory = "submitted"
        c.CourseDirectory.autograded_directory = "autograded"
        c.CourseDirectory.feedback_directory = "feedback"
        c.CourseDirectory.db_url = self.db_url
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
        for key, value in overrides.items():
            section, name = key.split(".")
            setattr(getattr(c, section), name, value)
        return c


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

"""``make formgrade``: nbgrader's formgrader on the course's gradebook, for the written answers.

The formgrader reads its settings from an ``nbgrader_config.py`` in the course root (the folder
JupyterLab serves), so this module writes one from the course's own settings (course id,
gradebook URL, the step folders, stubs) unless the course already has its own. It lists every
folder of ``source/`` as an assignment; treeprop's masters live in ``notebooks/`` next to
``extras/``, which is not one, so the course gets a ``source/`` of links to the real assignments
only. JupyterLab then runs on loopback with the formgrader switched on, opening at
``/formgrader``, with its own workspace under ``<course>/.formgrade`` so the student lab's tabs
never reopen here.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .course import Course
from .rubric import NO_ANSWER, is_manual, model_answer

MARKER = "# Written by `python -m autograder formgrade` (make formgrade): rewritten on every run."
LINKS_MARKER = ".autograder-links"
SETTINGS = [  # (section, name) copied from Course.config() into nbgrader_config.py
    ("CourseDirectory", "course_id"), ("CourseDirectory", "root"),
    ("CourseDirectory", "release_directory"), ("CourseDirectory", "submitted_directory"),
    ("CourseDirectory", "autograded_directory"), ("CourseDirectory", "feedback_directory"),
    ("CourseDirectory", "db_url"), ("CourseDirectory", "ignore"),
    ("ClearSolutions", "code_stub"), ("ClearSolutions", "text_stub"),
    ("ClearSolutions", "enforce_metadata"), ("Exchange", "root"),
]


class FormgradeError(RuntimeError):
    """The course folder cannot be set up for the formgrader; said plainly."""


def source_folder(course: Course) -> str:
    """The ``source_directory`` the formgrader lists: the masters, real assignments only."""
    if course.source.parent == course.root:
        return course.source.name  # an nbgrader course of its own layout: use it as it is
    links = course.root / "source"
    if links.exists() and not (links / LINKS_MARKER).exists():
        raise FormgradeError(f"{links} exists and was not made by the autograder: move it, or "
                             f"pass --source {links} if it holds the masters")
    links.mkdir(parents=True, exist_ok=True)
    (links / LINKS_MARKER).write_text(f"links to the assignments in {course.source}\n")
    wanted = set(course.assignments())
    for entry in links.iterdir():
        if entry.is_symlink() and entry.name not in wanted:
            entry.unlink()
    for assignment in sorted(wanted):
        link = links / assignment
        target = course.source / assignment
        if link.is_symlink() and Path(os.readlink(link)) == target:
            continue
        if link.is_symlink():
            link.unlink()
        elif link.exists():
            raise FormgradeError(f"{link} is not a link to {target}")
        link.symlink_to(target, target_is_directory=True)
    return "source"


def write_config(course: Course) -> Path:
    """``<course>/nbgrader_config.py`` for the formgrader (kept if the course has its own)."""
    path = course.root / "nbgrader_config.py"
    course.root.mkdir(parents=True, exist_ok=True)
    if path.exists() and not path.read_text().startswith(MARKER):
        return path  # the instructor's own configuration wins
    config = course.config()
    lines = [MARKER, "# The formgrader (nbgrader) reads it; the autograder's settings are in "
             "autograder/course.py.", "", "c = get_config()  # noqa: F821", ""]
    for section, name in SETTINGS:
        lines.append(f"c.{section}.{name} = {getattr(getattr(config, section), name)!r}")
    lines.append(f"c.CourseDirectory.source_directory = {source_folder(course)!r}")
    partial = path.with_name(path.name + ".partial")
    partial.write_text("\n".join(lines) + "\n")
    partial.chmod(0o600)  # the gradebook URL may hold a password
    partial.replace(path)
    return path


def write_rubrics(course: Course) -> list[Path]:
    """``<course>/rubrics/<assignment>.ipynb``: each hand-graded answer's question, points and
    the master's model answer, to open next to the formgrader (never part of a release)."""
    import nbformat
    from nbformat.v4 import new_markdown_cell, new_notebook

    written = []
    for assignment in course.assignments():
        cells = [new_markdown_cell(f"# Rubric: {assignment}\n\nThe answers graded by hand, "
                                   "with the question, the points and the master's model "
                                   "answer. Instructors only.")]
        for name in course.notebooks_of(assignment):
            master = nbformat.read(course.source / assignment / f"{name}.ipynb", as_version=4)
            for index, cell in enumerate(master.cells):
                if not is_manual(cell):
                    continue
                meta = cell.metadata["nbgrader"]
                question = []
                for before in reversed(master.cells[:index]):
                    if before.cell_type != "markdown" or len(question) == 2 or before.get(
                            "metadata", {}).get("nbgrader", {}).get("grade_id"):
                        break  # the question is the text just above (two cells at most)
                    question.insert(0, before.source)
                answer = model_answer(cell.source) or NO_ANSWER
                cells += [new_markdown_cell(f"## `{meta['grade_id']}` in {name}.ipynb: "
                                            f"{meta.get('points', 0)} point(s)"),
                          new_markdown_cell("\n\n".join(question) or "*(no question text)*"),
                          new_markdown_cell("**Model answer**\n\n" + answer)]
        if len(cells) == 1:
            continue  # nothing graded by hand in this assignment
        path = course.root / "rubrics" / f"{assignment}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(new_notebook(cells=cells), path)
        written.append(path)
    return written


def command(course: Course, port: int, token: str | None = None) -> list[str]:
    """The JupyterLab command line: loopback, formgrader on, its own workspace."""
    state = course.root / ".formgrade"
    cmd = [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
           "--ServerApp.port_retries=0", f"--ServerApp.root_dir={course.root}",
           "--LabApp.default_url=/formgrader",  # jupyter lab sets the server's from it
           f"--LabApp.workspaces_dir={state / 'workspaces'}",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--ServerApp.jpserver_extensions=nbgrader.server_extensions.formgrader=True",
           # the student's exchange lists only log errors in an instructor's course
           "--ServerApp.jpserver_extensions=nbgrader.server_extensions.assignment_list=False",
           "--ServerApp.jpserver_extensions=nbgrader.server_extensions.course_list=False"]
    if token is not None:
        cmd.append(f"--IdentityProvider.token={token}")
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    return cmd


def prepare(course: Course) -> Path:
    """Everything but the server: the gradebook must exist, the config and links are written."""
    from nbgrader.api import Gradebook

    from .report import gradebook_problem

    problem = gradebook_problem(course)
    if problem:
        raise FormgradeError(problem)
    with Gradebook(course.db_url, course.course_id) as gb:
        if not gb.assignments:
            raise FormgradeError("the gradebook has no assignments yet: run make release "
                                 "or make grade first")
    (course.root / ".formgrade" / "workspaces").mkdir(parents=True, exist_ok=True)
    # the formgrader asks the exchange what was released; a missing folder is a logged error
    (course.root / "exchange").mkdir(exist_ok=True)
    write_rubrics(course)
    return write_config(course)


def cmd_formgrade(args) -> int:
    """``python -m autograder formgrade [--port N] [--token T]``: replaces this process."""
    from .cli import _course

    course = _course(args)
    try:
        config = prepare(course)
    except FormgradeError as error:
        print(f"formgrade: {error}", file=sys.stderr)
        return 2
    print(f">> formgrader on the course {course.root} (config {config}); open the URL "
          f"below, then grade the answers under Manage Assignments > the assignment > "
          f"Manage Submissions (or Gradebook). The rubrics (question, points, model answer) "
          f"are in rubrics/ of the file browser. Stop with Ctrl-C.", flush=True)
    env = dict(os.environ)
    env.pop("JUPYTER_CONFIG_PATH", None)  # never the student lab's page config
    cmd = command(course, args.port, args.token)
    os.chdir(course.root)  # nbgrader also reads nbgrader_config.py from the working folder
    os.execve(cmd[0], cmd, env)
    return 0  # not reached


def add_parser(sub) -> None:
    """Hook into ``python -m autograder``: the ``formgrade`` subcommand."""
    p = sub.add_parser("formgrade", help="nbgrader's formgrader on this course (manual grading)")
    p.add_argument("--port", type=int, default=8889)
    p.add_argument("--token", default=None,
                   help="login token (default: JupyterLab makes one and prints the URL)")
    p.set_defaults(func=cmd_formgrade)

"""``python -m autograder``: the commands behind make students/release/grade/feedback/export."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .course import Course, generate_student_versions


def _course(args: argparse.Namespace) -> Course:
    kwargs = {"root": Path(args.course)}
    if args.source:
        kwargs["source"] = Path(args.source)
    return Course(db_url=args.db_url, **kwargs)


def cmd_students(args: argparse.Namespace) -> int:
    course = _course(args)
    ids = args.assignments or course.assignments()
    if not ids:
        print(f"no assignments under {course.source} yet")
        return 0
    for folder in generate_student_versions(course, ids):
        print(f"student version: {folder}")
    return 0


STUDENT_README = """# treeprop: the student pack

This pack holds the course notebooks (`notebooks/<id>/<id>.ipynb`), the `treeprop`
package they build on (`src/treeprop`) and `environment.yml`.

1. Create the environment: `conda env create -f environment.yml` (or
   `python -m venv .venv && .venv/bin/pip install -e .`).
2. Start JupyterLab in this folder: `jupyter lab`, and open `notebooks/01_*`.
3. Work through each exercise: replace `raise NotImplementedError` by your code and run the
   test cell below it. The visible tests give instant feedback; the grader also runs hidden
   tests with other inputs, so solve the exercise rather than the test.
4. Do not edit or delete the test cells (they are restored from the originals anyway) and
   keep the notebook names. Hand in the notebooks as your course asks.
"""


def cmd_release(args: argparse.Namespace) -> int:
    import zipfile

    from .course import REPO

    course = _course(args)
    ids = course.assignments()
    if not args.skip_students:
        generate_student_versions(course, ids)
    pack = Path(args.pack)
    pack.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(pack, "w", zipfile.ZIP_DEFLATED) as zf:
        for assignment in ids:
            for path in sorted((course.release / assignment).rglob("*")):
                if path.is_file():
                    zf.write(path, f"treeprop-course/notebooks/{assignment}/"
                             f"{path.relative_to(course.release / assignment)}")
        for path in sorted((REPO / "src" / "treeprop").rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                zf.write(path, f"treeprop-course/{path.relative_to(REPO)}")
        for name in ("environment.yml", "pyproject.toml", "LICENSE"):
            if (REPO / name).exists():
                zf.write(REPO / name, f"treeprop-course/{name}")
        zf.writestr("treeprop-course/README.md", STUDENT_README)
    print(f"released {len(ids)} assignments to {course.release}; student pack: {pack}")
    return 0


def _limits(args: argparse.Namespace):
    from .sandbox import Limits

    limits = Limits()
    for name in ("cell_seconds", "notebook_seconds"):
        value = getattr(args, name, None)
        if value:
            setattr(limits, name, float(value))
    return limits


def cmd_grade(args: argparse.Namespace) -> int:
    from .coordinator import Coordinator
    from .sandbox import check_sandbox

    course = _course(args)
    if args.lms_zip:
        collect_lms_zip(course, Path(args.lms_zip), args.assignment)
    problem = check_sandbox()
    if problem:
        print(f"cannot grade safely: {problem}", file=sys.stderr)
        return 2
    coordinator = Coordinator(course, workers=args.workers, limits=_limits(args),
                              progress=not args.no_progress)
    from .dask_executor import prepare_cluster_run  # GRADER_SCHEDULER: reach it first

    problem = prepare_cluster_run(coordinator.executor, course.db_url)
    if problem:
        print(f"cannot grade on the cluster: {problem}", file=sys.stderr)
        return 2
    summary = coordinator.run()
    print(summary.table())
    return 0 if not summary.failed else 1


def collect_lms_zip(course: Course, archive: Path, assignment: str | None) -> None:
    """nbgrader zip_collect: files named ``<student>_<notebook>.ipynb`` in an LMS export."""
    from nbgrader.apps import ZipCollectApp

    if not assignment:
        ids = course.assignments()
        if len(ids) != 1:
            raise SystemExit("--assignment is needed with --lms-zip (which assignment?)")
        assignment = ids[0]
    if not (course.release / assignment).is_dir():
        generate_student_versions(course, [assignment])
    target = course.root / "downloaded" / assignment / "archive"
    target.mkdir(parents=True, exist_ok=True)
    import shutil

    shutil.copy(archive, target / archive.name)
    config = course.config()
    config.FileNameCollectorPlugin.named_regexp = (
        r".*?(?P<student_id>[A-Za-z0-9.-]+)_(?P<file_id>[^/]+\.ipynb)$")
    config.ZipCollectApp.force = True
    config.ZipCollectApp.strict = False
    config.Application.log_level = "WARN"
    app = ZipCollectApp(config=config)
    app.initialize([assignment])
    app.start()


def cmd_feedback(args: argparse.Namespace) -> int:
    from .coordinator import generate_feedback

    made = generate_feedback(_course(args))
    print(f"feedback: {len(made)} HTML files under {_course(args).feedback}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from .coordinator import write_csv

    path = write_csv(_course(args), Path(args.csv))
    print(f"grades: {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    parser.add_argument("--course", default="build/course", help="course root (build/course)")
    parser.add_argument("--source", default=None, help="masters folder (notebooks/)")
    parser.add_argument("--db-url", default=None, help="gradebook URL (default SQLite)")
    parser.add_argument("--workers", type=int, default=None, help="parallel graders")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("students", help="generate student versions (nbgrader generate_assignment)")
    p.add_argument("assignments", nargs="*")
    p.set_defaults(func=cmd_students)
    p = sub.add_parser("release", help="student versions and the student pack zip")
    p.add_argument("--pack", default="build/treeprop-student-pack.zip")
    p.add_argument("--skip-students", action="store_true",
                   help="student versions are fresh already (make students ran)")
    p.set_defaults(func=cmd_release)
    p = sub.add_parser("grade", help="autograde every submission under submitted/")
    p.add_argument("--lms-zip", default=None, help="an LMS export to collect first")
    p.add_argument("--assignment", default=None, help="assignment of the LMS zip")
    p.add_argument("--cell-seconds", dest="cell_seconds", default=None)
    p.add_argument("--notebook-seconds", dest="notebook_seconds", default=None)
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=cmd_grade)
    p = sub.add_parser("feedback", help="HTML feedback without hidden tests")
    p.set_defaults(func=cmd_feedback)
    p = sub.add_parser("export", help="CSV of grades per student and notebook")
    p.add_argument("--csv", default="build/grades.csv")
    p.set_defaults(func=cmd_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

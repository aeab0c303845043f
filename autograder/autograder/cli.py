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
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

"""``python -m autograder``: the commands behind make students/release/grade/feedback/export."""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from .course import Course, generate_student_versions


def _course(args: argparse.Namespace) -> Course:
    """The course: ``--source`` if given, else the course config's ``source_directory``,
    else the course's own ``source/`` folder (as nbgrader lays a course out), else
    treeprop's ``notebooks/``; the course's ``nbgrader_config.py`` is honoured."""
    from .course import CourseConfigError

    kwargs = {}
    allowed = getattr(args, "allow", None)
    if allowed:
        kwargs["allowed_files"] = list(allowed)
    try:
        return Course.open(Path(args.course), Path(args.source) if args.source else None,
                           args.db_url, **kwargs)
    except CourseConfigError as error:
        raise SystemExit(f"cannot use the course: {error}") from error


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


OTHER_README = """# {course}: the student pack

One folder per assignment, each with its notebooks and files:

{assignments}

Open the notebooks in Jupyter, answer where the notebook asks you to, run the tests,
and hand in the notebooks as your course asks (keep their names).
"""


def cmd_release(args: argparse.Namespace) -> int:
    import zipfile

    from .course import REPO

    course = _course(args)
    ids = course.assignments()
    if not args.skip_students:
        generate_student_versions(course, ids)
    # treeprop's course (no course id of its own) ships the package and environment;
    # another course ships its student versions only, one folder per assignment
    own = course.course_id == "treeprop"
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", course.course_id or "course")
    top = "treeprop-course" if own else f"{name}-course"
    pack = Path(args.pack) if args.pack else course.root.parent / f"{name}-student-pack.zip"
    pack.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(pack, "w", zipfile.ZIP_DEFLATED) as zf:
        for assignment in ids:
            for path in sorted((course.release / assignment).rglob("*")):
                hidden = any(part.startswith(".") or part == "__pycache__"
                             for part in path.relative_to(course.release).parts)
                if path.is_file() and not hidden and not path.is_symlink():
                    where = f"{top}/notebooks/{assignment}" if own else f"{top}/{assignment}"
                    zf.write(path, f"{where}/{path.relative_to(course.release / assignment)}")
        if not own:
            zf.writestr(f"{top}/README.md", OTHER_README.format(
                course=course.course_id, assignments="\n".join(f"- `{a}/`" for a in ids)))
        else:
            for path in sorted((REPO / "src" / "treeprop").rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    zf.write(path, f"{top}/{path.relative_to(REPO)}")
            for item in ("environment.yml", "pyproject.toml", "LICENSE"):
                if (REPO / item).exists():
                    zf.write(REPO / item, f"{top}/{item}")
            for path in extra_files(course.source):
                zf.write(path, f"{top}/notebooks/{path.relative_to(course.source)}")
            zf.writestr(f"{top}/README.md", STUDENT_README)
    print(f"released {len(ids)} assignments to {course.release}; student pack: {pack}")
    return 0


def extra_files(source: Path) -> list[Path]:
    """The masters' ``extras/`` (tours such as viz_demo): no tests, so students get them as is.

    Hidden files, checkpoints and links are left out, as for the assignments.
    """
    folder = source / "extras"
    if not folder.is_dir() or folder.is_symlink():
        return []
    return [path for path in sorted(folder.rglob("*"))
            if path.is_file() and not path.is_symlink()
            and not any(part.startswith(".") or part == "__pycache__"
                        for part in path.relative_to(source).parts)]


def cmd_lab_copy(args: argparse.Namespace) -> int:
    """Copy each released assignment to the lab's folder once; never overwrite work."""
    from .course import copy_tree

    course = _course(args)
    target = Path(args.to)
    target.mkdir(parents=True, exist_ok=True)
    for assignment in course.assignments():
        released = course.release / assignment
        if not released.is_dir():
            continue
        if (target / assignment).exists():
            print(f"lab: kept your work in {target / assignment} (delete it for a fresh copy)")
            continue
        copy_tree(released, target / assignment)
        print(f"lab: fresh student version in {target / assignment}")
    extras = extra_files(course.source)
    if extras and (target / "extras").exists():
        print(f"lab: kept {target / 'extras'}")
    elif extras:
        for path in extras:
            copy = target / path.relative_to(course.source)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, copy)
        print(f"lab: the extras ({len(extras)} file(s)) in {target / 'extras'}")
    return 0


def _limits(args: argparse.Namespace, course: Course | None = None):
    """Limits of this run: the command line, else the course's cell timeout, else ours."""
    from .sandbox import Limits

    limits = Limits()
    timeout = course.cell_timeout() if course is not None else None
    if timeout:
        limits.cell_seconds = timeout
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
    from .sandbox import cgroup_support

    print(cgroup_support(), file=sys.stderr)
    coordinator = Coordinator(course, workers=args.workers, limits=_limits(args, course),
                              progress=not args.no_progress)
    from .dask_executor import prepare_cluster_run  # GRADER_SCHEDULER: reach it first

    problem = prepare_cluster_run(coordinator.executor, course.db_url)
    if problem:
        print(f"cannot grade on the cluster: {problem}", file=sys.stderr)
        return 2
    summary = coordinator.run()
    print(summary.table())
    return 0 if not summary.failed else 1


# -- LMS exports ------------------------------------------------------------------------------
# Identity comes only from the name the LMS gave a top-level entry of its export, never
# from a name a student chose inside their own upload:
#   Moodle (3.1+, folders):  "<Full Name>_<participant id>_assignsubmission_file_/<files>"
#   Moodle (flat):           "<Full Name>_<participant id>_assignsubmission_file_<file>"
#   Canvas:                  "<name>_<user id>_<attachment id>_<file>" ("<name>_late_...")
#   nbgrader's zip_collect:  "<student id>_<notebook>.ipynb" (top level)
MOODLE_FOLDER = re.compile(r"^(?P<name>[^/]*)_(?P<id>\d+)_assignsubmission_[a-z]+_$")
MOODLE_FLAT = re.compile(r"^(?P<name>[^/]*?)_(?P<id>\d+)_assignsubmission_[a-z]+_"
                         r"(?P<file>[^/]+)$")
CANVAS = re.compile(r"^(?P<name>[^_/]*)_(?:late_)?(?P<id>\d+)_(?P<sub>\d+)_(?P<file>[^/]+)$",
                    re.IGNORECASE)
SIMPLE = re.compile(r"^(?P<id>[A-Za-z0-9.-]+)_(?P<file>[^/]+\.ipynb)$")
ARCHIVE_SUFFIXES = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".zst",
                    ".jar", ".whl", ".egg")
ARCHIVE_MAGIC = (b"PK\x03\x04", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"7z\xbc\xaf", b"Rar!")


@dataclass
class LmsLimits:
    """Bounds on what one LMS export may make the collector write."""

    members: int = 20_000  # entries in the export
    member_bytes: int = 32 * 1024**2  # one file, unpacked
    student_files: int = 50  # files kept per student
    total_bytes: int = 2 * 1024**3  # everything unpacked


def _member_path(name: str) -> list[str] | None:
    """The parts of a member name, or None when it could escape (zip slip) or is odd."""
    if "\0" in name or "\\" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return None
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if not parts or any(part == ".." for part in parts):
        return None
    return parts


def _claim(parts: list[str]) -> tuple[str, str, str] | None:
    """(student id, LMS record, the student's own relative path) of one member."""
    if len(parts) >= 2:
        match = MOODLE_FOLDER.match(parts[0])
        if match:
            return match["id"], parts[0], "/".join(parts[1:])
        return None
    for pattern in (MOODLE_FLAT, CANVAS, SIMPLE):
        match = pattern.match(parts[0])
        if match:
            record = parts[0][:len(parts[0]) - len(match["file"])]
            return match["id"], record, match["file"]
    return None


def _target_name(rel: str, notebooks: list[str]) -> str:
    """Where a student's file lands: the expected notebook it names, else its own name."""
    from .coordinator import safe_name

    parts = [safe_name(p) or "_" for p in rel.split("/")]
    name = parts[-1]
    if name.endswith(".ipynb"):
        stem = name[:-len(".ipynb")]
        for candidate in (stem, re.sub(r"-\d+$", "", stem)):  # Canvas: "name-1.ipynb"
            if candidate in notebooks:
                return f"{candidate}.ipynb"
        return name  # at the top: the grader's rename detection may still place it
    return "/".join(parts)


def collect_lms_zip(course: Course, archive: Path, assignment: str | None,
                    limits: LmsLimits | None = None, out=None) -> list[str]:
    """Unpack an LMS export into ``submitted/<student>/<assignment>/``; returns the report.

    Nested archives are copied as files, never extracted; sizes and counts are bounded
    while unpacking (not from the sizes the archive claims); unsafe member names are
    refused; two uploads claiming the same student's file leave only that student
    uncollected, with a message. Nothing here stops the collection for everyone.
    """
    import shutil
    import zipfile

    from .coordinator import valid_student_id
    from .staging import printable

    limits = limits or LmsLimits()
    out = out or sys.stdout
    if not assignment:
        ids = course.assignments()
        if len(ids) != 1:
            raise SystemExit("--assignment is needed with --lms-zip (which assignment?)")
        assignment = ids[0]
    if assignment not in course.assignments():
        raise SystemExit(f"--assignment {assignment}: no such assignment under {course.source}")
    if not zipfile.is_zipfile(archive):
        raise SystemExit(f"{archive} is not a zip file (an LMS export is a zip)")
    notebooks = course.notebooks_of(assignment)
    keep = course.root / "downloaded" / assignment / "archive"
    keep.mkdir(parents=True, exist_ok=True)
    shutil.copy(archive, keep / archive.name)

    report: list[str] = []
    claims: dict[str, dict[str, tuple[str, zipfile.ZipInfo]]] = {}
    clashes: dict[str, list[str]] = {}
    with zipfile.ZipFile(archive) as zf:
        members = zf.infolist()
        if len(members) > limits.members:
            report.append(f"the export has {len(members)} entries; only the first "
                          f"{limits.members} were read")
            members = members[:limits.members]
        for info in members:
            if info.is_dir():
                continue
            shown = printable(info.filename, 120)
            parts = _member_path(info.filename)
            if parts is None:
                report.append(f"{shown}: unsafe path (absolute, '..' or backslash); refused")
                continue
            if (info.external_attr >> 16) & 0o170000 == 0o120000:
                report.append(f"{shown}: a symbolic link; refused")
                continue
            claim = _claim(parts)
            if claim is None:
                report.append(f"{shown}: not named by the LMS (Canvas, Moodle or "
                              "<student>_<notebook>.ipynb at the top); skipped")
                continue
            student, record, rel = claim
            if not valid_student_id(student):
                report.append(f"{shown}: {printable(student)} is not a valid student id; "
                              "skipped")
                continue
            target = _target_name(rel, notebooks)
            files = claims.setdefault(student, {})
            if target in files and files[target][1] is not info:
                clashes.setdefault(student, []).append(
                    f"{printable(files[target][0], 80)} and {shown} both give {target}")
                continue
            files[target] = (info.filename, info)

        total = 0
        collected = 0
        for student in sorted(claims):
            if student in clashes:
                report.append(f"{student}: NOT collected, two uploads claim the same "
                              f"file ({'; '.join(clashes[student])}); resolve it by hand")
                continue
            building = course.submitted / student / f".{assignment}.collecting"
            shutil.rmtree(building, ignore_errors=True)
            building.mkdir(parents=True)
            kept = 0
            for target, (name, info) in sorted(claims[student].items()):
                shown = printable(name, 120)
                if kept >= limits.student_files:
                    report.append(f"{shown}: more than {limits.student_files} files for "
                                  f"{student}; not collected")
                    continue
                data, problem = _read_member(zf, info, limits.member_bytes)
                if problem:
                    report.append(f"{shown}: {problem}; not collected")
                    continue
                if target.lower().endswith(ARCHIVE_SUFFIXES) or data[:6].startswith(
                        ARCHIVE_MAGIC) and not target.endswith(".ipynb"):
                    report.append(f"{shown}: an archive inside an upload is never "
                                  "extracted; not collected")
                    continue
                if total + len(data) > limits.total_bytes:
                    report.append(f"{shown}: the export unpacks to more than "
                                  f"{limits.total_bytes} bytes; not collected")
                    continue
                total += len(data)
                dest = building / target
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(data)
                kept += 1
            final = course.submitted / student / assignment
            if kept:
                if final.is_symlink() or final.is_file():
                    final.unlink()
                shutil.rmtree(final, ignore_errors=True)
                building.rename(final)
                collected += 1
            else:
                shutil.rmtree(building, ignore_errors=True)
    report.append(f"collected {collected} submissions of {assignment} from {archive.name}"
                  + (f"; {len(clashes)} students not collected (name clash)" if clashes
                     else ""))
    for line in report:
        print(line, file=out)
    return report


def _read_member(zf, info, max_bytes: int) -> tuple[bytes, str | None]:
    """A member's bytes, read with a hard cap (the sizes in the archive may lie)."""
    chunks, size = [], 0
    try:
        with zf.open(info) as handle:
            while True:
                chunk = handle.read(1024 * 1024)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    return b"", f"larger than {max_bytes} bytes when unpacked"
                chunks.append(chunk)
    except Exception as error:  # bad CRC, encrypted member, unsupported compression
        return b"", f"could not be unpacked ({type(error).__name__})"
    return b"".join(chunks), None


def cmd_feedback(args: argparse.Namespace) -> int:
    from .coordinator import generate_feedback

    problems: list[str] = []
    counts: dict = {}
    made = generate_feedback(_course(args), problems, counts)
    print(f"feedback: {len(made)} HTML files under {_course(args).feedback}")
    if counts.get("pending"):
        print(f"pending: {counts['pending']} hand-graded answer(s) or task(s) await a grade "
              "(make formgrade); their feedback says so. Run make feedback again after "
              "grading them.")
    for line in problems:
        print(f"no feedback for {line}", file=sys.stderr)
    return 1 if problems else 0


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
    p.add_argument("--pack", default=None,
                   help="the zip (default: <course id>-student-pack.zip next to the course)")
    p.add_argument("--skip-students", action="store_true",
                   help="student versions are fresh already (make students ran)")
    p.set_defaults(func=cmd_release)
    p = sub.add_parser("grade", help="autograde every submission under submitted/")
    p.add_argument("--lms-zip", default=None, help="an LMS export to collect first")
    p.add_argument("--assignment", default=None, help="assignment of the LMS zip")
    p.add_argument("--cell-seconds", dest="cell_seconds", default=None)
    p.add_argument("--notebook-seconds", dest="notebook_seconds", default=None)
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--allow", action="append", default=None, metavar="PATTERN",
                   help="a file students may hand in besides the notebooks that reaches "
                   "the kernel (fnmatch, e.g. '*.csv'; repeatable)")
    p.set_defaults(func=cmd_grade)
    p = sub.add_parser("lab-copy", help="copy the student versions for the lab, once")
    p.add_argument("--to", required=True, help="the lab's folder")
    p.set_defaults(func=cmd_lab_copy)
    p = sub.add_parser("feedback", help="HTML feedback without hidden tests")
    p.set_defaults(func=cmd_feedback)
    p = sub.add_parser("export", help="CSV of grades per student and notebook")
    p.add_argument("--csv", default="build/grades.csv")
    p.set_defaults(func=cmd_export)
    # issue 14 (own modules): export --format/--roster, report, formgrade
    from . import formgrade, lms_export, report

    lms_export.add_options(sub.choices["export"])
    report.add_parser(sub)
    formgrade.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from .course import MasterError

    try:
        return args.func(args)
    except MasterError as error:  # the instructor's masters: said, not a traceback
        raise SystemExit(str(error)) from error


if __name__ == "__main__":
    sys.exit(main())

"""How fast the autograder grades the course: one full submission, and submissions/minute.

A "full submission" is one student's nine course notebooks (the instructor's masters,
so every cell runs and every test passes), graded in the bwrap sandbox exactly as
``make grade`` does. Writes bench/results/grading.md.

    .venv/bin/python bench/bench_grading.py [--students 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "autograder"))

from autograder.coordinator import Coordinator  # noqa: E402
from autograder.course import Course, assignment_ids, generate_student_versions  # noqa: E402
from autograder.executors import LocalProcessExecutor, SerialExecutor  # noqa: E402
from autograder.sandbox import check_sandbox  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "grading.md"


def make_course(root: Path, ids: list[str], students: int) -> Course:
    course = Course(root=root, source=ROOT / "notebooks")
    generate_student_versions(course, ids)
    for n in range(students):
        for assignment in ids:
            shutil.copytree(ROOT / "notebooks" / assignment,
                            course.submitted / f"student{n:02d}" / assignment,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return course


def timed_run(course: Course, executor) -> tuple[float, int, int]:
    # Warm the masters' template once, outside the timing (it is cached between runs).
    coordinator = Coordinator(course, executor, progress=False)
    jobs = coordinator.discover()
    started = time.perf_counter()
    summary = coordinator.run(jobs)
    seconds = time.perf_counter() - started
    return seconds, len(summary.graded), len(summary.failed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=2)
    args = parser.parse_args()
    problem = check_sandbox()
    if problem:
        print(f"cannot benchmark grading: {problem}")
        return 1
    ids = assignment_ids(ROOT / "notebooks")
    if not ids:
        print("no course notebooks")
        return 1
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        one = make_course(Path(tmp) / "one", ids, 1)
        seconds_one, graded, failed = timed_run(one, LocalProcessExecutor(2))
        print(f"one full submission ({len(ids)} notebooks), 2 workers: {seconds_one:.1f} s "
              f"({graded} graded, {failed} failed)")
        for workers in (1, 2):
            course = make_course(Path(tmp) / f"w{workers}", ids, args.students)
            executor = SerialExecutor() if workers == 1 else LocalProcessExecutor(workers)
            seconds, graded, failed = timed_run(course, executor)
            per_minute = args.students / seconds * 60
            rows.append((workers, seconds, per_minute, graded, failed))
            print(f"{workers} worker(s): {args.students} full submissions in {seconds:.1f} s = "
                  f"{per_minute:.2f} submissions/min ({graded} notebooks graded, "
                  f"{failed} failed)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "### Autograding speed",
        "",
        f"One full submission = one student's {len(ids)} course notebooks "
        f"({', '.join(ids)}), the masters (every cell runs, every test passes), graded in "
        "the bwrap sandbox by `make grade`'s code path. "
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, load average "
        f"{os.getloadavg()[0]:.1f} at the end (other jobs share the cores). "
        "`python bench/bench_grading.py`",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| one full submission, 2 workers | {seconds_one:.1f} s (target < 60 s) |",
    ]
    for workers, seconds, per_minute, _graded, _failed in rows:
        lines.append(f"| {workers} worker{'s' if workers > 1 else ''}: {args.students} full "
                     f"submissions | {seconds:.1f} s = {per_minute:.2f} submissions/min |")
    if len(rows) == 2 and rows[0][2] > 0:
        lines.append(f"| speed-up 2 workers vs 1 | {rows[1][2] / rows[0][2]:.2f}x |")
    RESULTS.write_text("\n".join(lines) + "\n")
    print(f"written {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How fast the autograder grades the course: one full submission, and submissions/minute.

A "full submission" is one student's nine course notebooks (the instructor's masters,
so every cell runs and every test passes), graded in the bwrap sandbox exactly as
``make grade`` does. Writes bench/results/grading.md.

    .venv/bin/python bench/bench_grading.py [--students 2] [--before TREE --before-python PY]

Every measured run must give the masters every autograded point: a grader that fails
tests quickly is not fast, it is broken (the run stops with an error). ``--before`` runs
the same measures with an earlier checkout (its own bench script, its own Python with
treeprop and the autograder from that tree) in the same command, for a ratio.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
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


def make_course(root: Path, ids: list[str], students: int,
                masters: Path = ROOT / "notebooks") -> Course:
    course = Course(root=root, source=masters)
    generate_student_versions(course, ids)
    for n in range(students):
        for assignment in ids:
            shutil.copytree(masters / assignment,
                            course.submitted / f"student{n:02d}" / assignment,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return course


def demoted_masters(ids: list[str], into: Path) -> Path:
    """A copy of the masters whose test cells are plain cells: grading it runs every test
    in the kernel, as the grader did before the harness (the same-command baseline)."""
    import nbformat

    for assignment in ids:
        shutil.copytree(ROOT / "notebooks" / assignment, into / assignment,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        for path in (into / assignment).glob("*.ipynb"):
            nb = nbformat.read(path, as_version=4)
            for cell in nb.cells:
                meta = cell.metadata.get("nbgrader", {})
                if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
                    del cell.metadata["nbgrader"]
                    cell.source = "\n".join(  # hidden tests too: plain lines, run as well
                        line for line in cell.source.splitlines()
                        if "### BEGIN HIDDEN TESTS" not in line
                        and "### END HIDDEN TESTS" not in line)
            nbformat.write(nb, path)
    return into


def _errors(result) -> list[str]:
    import nbformat

    nb = nbformat.reads(result.notebooks[result.assignment]["autograded"], as_version=4)
    return [f"{result.assignment} cell {i}" for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and any(o.get("output_type") == "error"
                                                for o in cell.get("outputs", []))]


def timed_run(course: Course, executor) -> tuple[float, int, int]:
    """Seconds, notebooks graded, notebooks failed; raises if a master lost a point or a
    cell failed (a grader that fails tests quickly is not fast, it is broken)."""
    coordinator = Coordinator(course, executor, progress=False)
    jobs = coordinator.discover()
    started = time.perf_counter()
    summary = coordinator.run(jobs)
    seconds = time.perf_counter() - started
    lost = [f"{r.student}/{r.assignment}/{grade_id}"
            for r in summary.graded for nb in r.notebooks.values()
            for grade_id, g in nb.get("grades", {}).items()
            if not g["needs_manual"] and (g["score"] or 0) < (g["max_score"] or 0)]
    lost += [error for r in summary.graded for error in _errors(r)]
    if lost or summary.failed:
        raise SystemExit(f"the masters lost points ({', '.join(lost[:10])}) or failed "
                         f"({len(summary.failed)}): this is not a measurement")
    return seconds, len(summary.graded), len(summary.failed)


PRODUCTS = """
for i in range(200):
    got = float(Multiply(Constant(2.0), Constant(3.0)).forward())
assert got == 6.0
"""


def request_latency() -> tuple[float, int, float]:
    """(ms per harness request, requests, ms per silent execute_request) on one plain
    kernel: the test cell PRODUCTS through the harness, and, as the same-process baseline,
    the floor of the former transport (one silent execute of ``pass`` per request, read
    through the same synchronous sockets)."""
    from autograder.execute import BOOT_SOURCE
    from autograder.harness import Channel, HarnessGlobals, Sink, Wire, run_test_cell
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    km = AsyncKernelManager(kernel_name="python3")
    run_sync(km.start_kernel)()
    kc = km.client()
    kc.start_channels()
    try:
        run_sync(kc.wait_for_ready)(timeout=60)
        boot = (f"exec(compile({BOOT_SOURCE + chr(10) + '_treeprop_boot(1048576, chr(120))'!r}"
                ", '<boot>', 'exec'), {})")
        reply = run_sync(kc.execute_interactive)(boot, silent=True, timeout=60)
        wire = Wire.open(kc, km, reply["content"])
        run_sync(kc.execute_interactive)(
            "from treeprop.nodes import Constant\nfrom treeprop.ops import Multiply\n",
            timeout=60)
        channel = Channel(kc, km, Sink(1 << 20), time.monotonic() + 120, wire=wire)
        started = time.perf_counter()
        verdict = run_test_cell(PRODUCTS, channel, HarnessGlobals(channel), "<bench>")
        per_request = (time.perf_counter() - started) * 1000 / max(1, verdict.requests)
        if not verdict.passed:
            raise SystemExit(f"the latency test cell failed: {verdict.message}")
        rounds = 300
        started = time.perf_counter()
        for _ in range(rounds):
            msg_id = kc.execute("pass", silent=True, store_history=False)
            replied = idle = False
            while not (replied and idle):
                ready = wire.poll(5.0)
                for msg in wire.drain(wire.shell) if wire.shell in ready else []:
                    replied = replied or msg["parent_header"].get("msg_id") == msg_id
                for msg in wire.drain(wire.iopub) if wire.iopub in ready else []:
                    idle = idle or (msg["parent_header"].get("msg_id") == msg_id and
                                    msg["msg_type"] == "status" and
                                    msg["content"].get("execution_state") == "idle")
        per_execute = (time.perf_counter() - started) * 1000 / rounds
        wire.close()
        return per_request, verdict.requests, per_execute
    finally:
        kc.stop_channels()
        run_sync(km.shutdown_kernel)(now=True)


def run_before(tree: Path, python: str, students: int) -> dict[str, float]:
    """The same measures from an earlier checkout's own bench script (its stdout parsed)."""
    out = subprocess.run([python, str(tree / "bench" / "bench_grading.py"),
                          "--students", str(students)], capture_output=True, text=True,
                         cwd=tree, check=True).stdout
    one = re.search(r"one full submission .*?: ([0-9.]+) s", out)
    per = dict(re.findall(r"(\d) worker\(s\): .*? = ([0-9.]+) submissions/min", out))
    if one is None or set(per) != {"1", "2"}:
        raise SystemExit(f"could not read the earlier checkout's bench output:\n{out}")
    commit = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    return {"one": float(one.group(1)), "1": float(per["1"]), "2": float(per["2"]),
            "commit": commit}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=2)
    parser.add_argument("--before", type=Path, help="an earlier checkout to compare with")
    parser.add_argument("--before-python", default=sys.executable,
                        help="the Python that has that checkout's treeprop and autograder")
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
    per_request, requests, per_execute = request_latency()
    print(f"harness: {per_request:.2f} ms per request ({requests} requests); a silent "
          f"execute_request round trip (the former transport's floor): {per_execute:.2f} ms")
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        plain = demoted_masters(ids, Path(tmp) / "demoted")
        harness_runs, kernel_runs = [], []
        for round_ in range(2):  # interleaved, so drift in the machine's load hits both
            one = make_course(Path(tmp) / f"one{round_}", ids, 1)
            harness_runs.append(timed_run(one, LocalProcessExecutor(2))[0])
            base = make_course(Path(tmp) / f"base{round_}", ids, 1, masters=plain)
            kernel_runs.append(timed_run(base, LocalProcessExecutor(2))[0])
        seconds_one = sum(harness_runs) / len(harness_runs)
        seconds_base = sum(kernel_runs) / len(kernel_runs)
        print(f"one full submission ({len(ids)} notebooks), 2 workers: {seconds_one:.1f} s "
              f"({', '.join(f'{x:.1f}' for x in harness_runs)}); the same with the tests run "
              f"in the kernel: {seconds_base:.1f} s "
              f"({', '.join(f'{x:.1f}' for x in kernel_runs)})")
        for workers in (1, 2):
            course = make_course(Path(tmp) / f"w{workers}", ids, args.students)
            executor = SerialExecutor() if workers == 1 else LocalProcessExecutor(workers)
            seconds, graded, failed = timed_run(course, executor)
            per_minute = args.students / seconds * 60
            rows.append((workers, seconds, per_minute, graded, failed))
            print(f"{workers} worker(s): {args.students} full submissions in {seconds:.1f} s = "
                  f"{per_minute:.2f} submissions/min ({graded} notebooks graded, "
                  f"{failed} failed)")
    before = None
    if args.before is not None:
        before = run_before(args.before, args.before_python, args.students)
        print(f"before ({before['commit']}): one full submission {before['one']:.1f} s, "
              f"{before['1']:.2f} and {before['2']:.2f} submissions/min with 1 and 2 workers")
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
        f"| one full submission, 2 workers | {seconds_one:.1f} s (issue 11's budget: 1.5x the "
        "19.6 s before the harness = 29.4 s) |",
        f"| one harness request (plain kernel, {requests} requests in one test cell) | "
        f"{per_request:.2f} ms; a silent execute_request, same process: {per_execute:.2f} ms "
        f"({per_execute / per_request:.1f}x) |",
        f"| the same notebooks, tests run in the kernel (no harness), same command | "
        f"{seconds_base:.1f} s; with the harness {seconds_one / seconds_base:.2f}x as long |",
    ]
    for workers, seconds, per_minute, _graded, _failed in rows:
        lines.append(f"| {workers} worker{'s' if workers > 1 else ''}: {args.students} full "
                     f"submissions | {seconds:.1f} s = {per_minute:.2f} submissions/min |")
    if len(rows) == 2 and rows[0][2] > 0:
        lines.append(f"| speed-up 2 workers vs 1 | {rows[1][2] / rows[0][2]:.2f}x |")
    if before is not None:
        lines.append(f"| before ({before['commit']}), same command: one full submission | "
                     f"{before['one']:.1f} s; now {seconds_one / before['one']:.2f}x as long |")
        for workers, _seconds, per_minute, _graded, _failed in rows:
            lines.append(f"| before, {workers} worker{'s' if workers > 1 else ''} | "
                         f"{before[str(workers)]:.2f} submissions/min; now "
                         f"{per_minute / before[str(workers)]:.2f}x the rate |")
    RESULTS.write_text("\n".join(lines) + "\n")
    print(f"written {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

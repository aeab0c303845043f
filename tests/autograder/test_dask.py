"""The autograder on Dask: a real scheduler and real workers, started here on loopback.

Every cluster in this module is made of separate ``dask scheduler`` / ``dask worker``
processes (127.0.0.1, ports chosen by the OS, one thread per worker, no dashboard),
started by :func:`autograder.dask_executor.loopback_cluster` and always torn down.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import require_module, require_program

ROOT = Path(__file__).resolve().parents[2]
AUTOGRADER_DIR = ROOT / "autograder"
if str(AUTOGRADER_DIR) not in sys.path:  # the package lives in autograder/autograder
    sys.path.insert(0, str(AUTOGRADER_DIR))

require_module("distributed", "pip install -e '.[dev]' (dask[distributed])")

from autograder import dask_executor as dx  # noqa: E402

pytestmark = pytest.mark.dask
# Workers import the autograder and treeprop from this checkout.
WORKER_PATH = [AUTOGRADER_DIR, ROOT / "src"]


def free_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- a scheduler that cannot be reached --------------------------------------------------------


def test_unreachable_scheduler_is_reported_before_any_work(tmp_path):
    address = f"tcp://127.0.0.1:{free_port()}"
    ran = []

    def never(job):  # would be called only if a task were ever sent
        ran.append(job)

    executor = dx.DaskExecutor(address, connect_timeout=2)
    started = time.monotonic()
    with pytest.raises(dx.SchedulerUnreachable) as caught:
        list(executor.map(never, [{"student": "s1", "assignment": "a"}]))
    message = str(caught.value)
    assert address in message
    assert dx.ENV_SCHEDULER in message
    assert "No submission was graded" in message
    assert executor.client is None and executor.handed_over == 0 and not ran
    # A refused connection must not wait for Dask's own (long) connect timeout.
    assert time.monotonic() - started < 30


def test_unknown_scheduler_host_is_named_in_the_error():
    with pytest.raises(dx.SchedulerUnreachable, match="unknown host 'no-such-host.invalid'"):
        dx.check_reachable("tcp://no-such-host.invalid:8786", timeout=2)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("127.0.0.1", "tcp://127.0.0.1:8786"),
        ("head:9000", "tcp://head:9000"),
        ("tcp://head", "tcp://head:8786"),
        ("tls://10.0.0.5:8786", "tls://10.0.0.5:8786"),
        ("tcp://[::1]:8786", "tcp://[::1]:8786"),
    ],
)
def test_scheduler_addresses_are_normalised(given, expected):
    assert dx.normalise_address(given) == expected


@pytest.mark.parametrize("bad", ["", "   ", "http://head:8786", "tcp://:8786", "tcp://h:99999"])
def test_bad_scheduler_addresses_are_refused(bad):
    with pytest.raises(dx.SchedulerUnreachable):
        dx.normalise_address(bad)


def test_sqlite_gradebook_on_a_remote_cluster_warns_and_postgres_does_not():
    with pytest.warns(RuntimeWarning, match="PostgreSQL"):
        dx.warn_if_sqlite_on_cluster("tcp://10.1.2.3:8786", "sqlite:///course/gradebook.db")
    with pytest.warns(RuntimeWarning, match="PostgreSQL"):
        dx.warn_if_sqlite_on_cluster("tcp://head:8786", None)
    assert dx.warn_if_sqlite_on_cluster("tcp://10.1.2.3:8786", "postgresql://u@db/c") is None
    assert dx.warn_if_sqlite_on_cluster("tcp://127.0.0.1:8786", "sqlite:///g.db") is None
    assert dx.warn_if_sqlite_on_cluster("localhost:8786", "sqlite:///g.db") is None


def test_executor_is_chosen_by_grader_scheduler_only():
    assert dx.executor_from_env({}) is None
    assert dx.executor_from_env({dx.ENV_SCHEDULER: "  "}) is None
    chosen = dx.executor_from_env({dx.ENV_SCHEDULER: "head:8786"})
    assert isinstance(chosen, dx.DaskExecutor) and chosen.address == "tcp://head:8786"
    assert chosen.client is None  # choosing does not connect


# -- real scheduler, real workers ---------------------------------------------------------------


@pytest.mark.slow
def test_scheduler_without_workers_is_reported_before_any_work():
    with dx.loopback_cluster(0, pythonpath=WORKER_PATH) as cluster:
        executor = dx.DaskExecutor(cluster.address, worker_wait=3)
        with pytest.raises(dx.SchedulerUnreachable, match="has no workers"):
            list(executor.map(os.getpid, [1]))
        assert executor.client is None


@pytest.mark.slow
def test_a_worker_without_the_sandbox_is_refused_before_any_work():
    bwrap = require_program("bwrap", "bubblewrap")
    # Only the venv's programs on PATH: the worker runs, but cannot find bwrap.
    env = dict(os.environ, PATH=str(Path(sys.executable).parent))
    assert Path(bwrap).parent != Path(sys.executable).parent
    with dx.loopback_cluster(1, pythonpath=WORKER_PATH, env=env) as cluster:
        executor = dx.DaskExecutor(cluster.address, worker_wait=30)
        with pytest.raises(dx.WorkerNotReady, match="has no bwrap"):
            executor.connect()
        assert executor.client is None


# -- grading 30 submissions: locally, then on the cluster ----------------------------------------

FIXTURE_SOURCE = Path(__file__).resolve().parent / "fixtures" / "source"
# The autograder's committed submissions (good, infinite loop, fork bomb, faked tests, ...).
FIXTURE_SUBMISSIONS = Path(__file__).resolve().parent / "fixtures" / "submissions"
ASSIGNMENT = "fx01_squares"
N_SUBMISSIONS = 30
SQUARE = "def square(x):\n    return x * x\n"
CUBE = "def cube(x):\n    return x ** 3\n"
# Their autograded totals (out of 5); the others are only compared with the local run.
VARIANT_SCORES = {"good": 5.0, "renamed": 5.0, "untouched": 0.0, "corrupt_json": 0.0,
                  "missing": 0.0, "square_only": 2.0, "wrong_cube": 2.0}
# What each kind of student hands in: code for the two exercise cells, or a special case.
FIXTURE_EXPECTED = {}
if (FIXTURE_SUBMISSIONS / "EXPECTED.json").is_file():
    FIXTURE_EXPECTED = {name: float(score) for name, (score, _) in json.loads(
        (FIXTURE_SUBMISSIONS / "EXPECTED.json").read_text()).items()}
VARIANTS = {
    "good": {"square": SQUARE, "cube": CUBE},
    "untouched": {},
    "square_only": {"square": SQUARE},
    "wrong_cube": {"square": SQUARE, "cube": "def cube(x):\n    return x ** 2\n"},
    "hard_coded": {"square": "def square(x):\n    return 9 if x == 3 else 0\n", "cube": CUBE},
    "syntax_error": {"square": SQUARE, "cube": "def cube(x)\n    return x ** 3\n"},
    "always_equal": {
        "square": "class Yes:\n    def __eq__(self, other):\n        return True\n\n\n"
        "def square(x):\n    return Yes()\n",
        "cube": CUBE,
    },
    "corrupt_json": "corrupt",
    "missing": "missing",
    "renamed": "renamed",
}


def student_notebook(release: Path, answers: dict[str, str]):
    import nbformat

    nb = nbformat.read(release, as_version=4)
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
        if grade_id == "explain" and answers:
            cell.source = "An odd number of negative factors stays negative."
    return nb


def make_submissions(release: Path, submitted: Path, count: int) -> dict[str, str]:
    """``count`` generated students cycling through VARIANTS; student -> variant."""
    import nbformat

    kinds = {}
    names = list(VARIANTS)
    for i in range(count):
        student = f"student{i:02d}"
        kind = names[i % len(names)]
        folder = submitted / student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text(f"2026-11-{1 + i % 20:02d} 10:{i:02d}:00.000000")
        spec = VARIANTS[kind]
        if spec == "corrupt":
            (folder / f"{ASSIGNMENT}.ipynb").write_text('{"cells": [ {"cell_type": ')
        elif spec == "missing":
            (folder / "notes.txt").write_text("I could not do it\n")
        elif spec == "renamed":
            nb = student_notebook(release, VARIANTS["good"])
            nbformat.write(nb, folder / "my_squares_final.ipynb")
        else:
            nbformat.write(student_notebook(release, spec), folder / f"{ASSIGNMENT}.ipynb")
        kinds[student] = kind
    return kinds


def fixture_submissions(submitted: Path, most: int = N_SUBMISSIONS - 6) -> dict[str, str]:
    """The autograder's committed bad (and good) submissions; student -> 'fixture'.

    At most ``most`` of them (in name order, "good" always), so the batch keeps its size
    and some generated students however many fixtures the autograder's tests add.
    """
    kinds = {}
    if FIXTURE_SUBMISSIONS.is_dir():
        folders = [f for f in sorted(FIXTURE_SUBMISSIONS.iterdir()) if (f / ASSIGNMENT).is_dir()]
        chosen = [f for f in folders if f.name == "good"]
        chosen += [f for f in folders if f.name != "good"][:most - len(chosen)]
        for folder in sorted(chosen):
            if (folder / ASSIGNMENT).is_dir():
                shutil.copytree(folder, submitted / folder.name)
                kinds[folder.name] = "fixture"
    return kinds


@dataclass
class GradedCourse:
    root: Path
    source: Path
    submitted: Path
    kinds: dict
    csv: str
    seconds: float


# Short limits so the infinite loop costs seconds (the same as the autograder's own tests);
# only what the grade command can also set, so the CLI run and the local run agree.
def grading_limits():
    from autograder.sandbox import Limits

    return Limits(cell_seconds=6, notebook_seconds=45)


def grade_course(root: Path, source: Path, submitted: Path, executor):
    """Grade a copy of ``submitted`` in a new course under ``root``; (course, summary, csv)."""
    from autograder.coordinator import Coordinator, write_csv
    from autograder.course import Course

    course = Course(root=root, source=source)
    shutil.copytree(submitted, course.submitted)
    coordinator = Coordinator(course, executor=executor, limits=grading_limits(), progress=False)
    summary = coordinator.run()
    csv_path = write_csv(course, root / "grades.csv")
    return course, summary, csv_path.read_text()


@pytest.fixture(scope="module")
def graded_locally(tmp_path_factory):
    """The 30 submissions graded by the local default (a process pool of 2): the reference."""
    require_program("bwrap", "bubblewrap")
    from autograder.course import Course, generate_student_versions
    from autograder.executors import LocalProcessExecutor

    base = tmp_path_factory.mktemp("dask-course")
    source = base / "source"
    shutil.copytree(FIXTURE_SOURCE / ASSIGNMENT, source / ASSIGNMENT)
    students = Course(root=base / "release-course", source=source)
    generate_student_versions(students, [ASSIGNMENT])
    release = students.release / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    submitted = base / "submitted"
    # The autograder's fixtures, topped up to 30 with generated students.
    kinds = fixture_submissions(submitted)
    kinds |= make_submissions(release, submitted, N_SUBMISSIONS - len(kinds))
    started = time.monotonic()
    _, summary, csv = grade_course(base / "local", source, submitted, LocalProcessExecutor(2))
    seconds = time.monotonic() - started
    assert not summary.failed, summary.table()
    assert len(summary.graded) == N_SUBMISSIONS, summary.table()
    return GradedCourse(base, source, submitted, kinds, csv, seconds)


def csv_totals(csv_text: str) -> dict[str, float]:
    import csv as csv_module
    import io

    rows = csv_module.DictReader(io.StringIO(csv_text))
    return {r["student"]: float(r["score"]) for r in rows if r["assignment"] == "TOTAL"}


def gradebook_counts(course) -> dict[str, int]:
    """Rows per table that a doubled grade would inflate."""
    from autograder.coordinator import JOURNAL
    from nbgrader.api import Grade, Gradebook, SubmittedAssignment, SubmittedNotebook
    from sqlalchemy import func, select

    with Gradebook(course.db_url, course.course_id) as gb:
        return {
            "journal": gb.db.execute(select(func.count()).select_from(JOURNAL)).scalar(),
            "journal_keys": gb.db.execute(
                select(func.count()).select_from(
                    select(JOURNAL.c.student, JOURNAL.c.assignment).distinct().subquery()
                )
            ).scalar(),
            "graded": gb.db.execute(
                select(func.count()).select_from(JOURNAL).where(JOURNAL.c.status == "graded")
            ).scalar(),
            "submissions": gb.db.query(SubmittedAssignment).count(),
            "notebooks": gb.db.query(SubmittedNotebook).count(),
            "grades": gb.db.query(Grade).count(),
        }


@pytest.fixture
def cluster():
    with dx.loopback_cluster(2, pythonpath=WORKER_PATH) as running:
        yield running


@pytest.mark.slow
def test_a_cluster_grades_30_submissions_exactly_like_a_local_run(graded_locally, cluster):
    """The instructor's way: the same grade command, with GRADER_SCHEDULER set."""
    import subprocess

    from autograder.course import Course

    course = Course(root=graded_locally.root / "dask", source=graded_locally.source)
    shutil.copytree(graded_locally.submitted, course.submitted)
    limits = grading_limits()
    env = dict(os.environ, GRADER_SCHEDULER=cluster.address,
               PYTHONPATH=os.pathsep.join(str(p) for p in WORKER_PATH))
    common = [sys.executable, "-m", "autograder", "--course", str(course.root), "--source",
              str(course.source)]
    templates = Path(tempfile.gettempdir()) / f"treeprop-templates-{os.getuid()}"
    before = set(templates.iterdir()) if templates.is_dir() else set()
    graded = subprocess.run(
        [*common, "grade", "--no-progress", "--cell-seconds", str(limits.cell_seconds),
         "--notebook-seconds", str(limits.notebook_seconds)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert f"grading on the Dask cluster at {cluster.address}: 2 worker(s)" in graded.stderr
    assert f"graded {N_SUBMISSIONS}, failed 0" in graded.stdout
    assert "warning" not in graded.stderr  # loopback cluster: SQLite is fine here
    # The workers' copies of the course template (hidden tests) were deleted afterwards.
    assert templates.is_dir() and set(templates.iterdir()) <= before
    csv_path = course.root / "grades.csv"
    exported = subprocess.run([*common, "export", "--csv", str(csv_path)], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
    assert exported.returncode == 0, exported.stdout + exported.stderr
    csv = csv_path.read_text()
    assert csv == graded_locally.csv
    counts = gradebook_counts(course)
    assert counts["journal"] == counts["journal_keys"] == counts["graded"] == N_SUBMISSIONS
    assert counts["submissions"] == N_SUBMISSIONS
    # The batch really was a mix: good work scores, untouched and broken work does not.
    totals = csv_totals(csv)
    for student, kind in graded_locally.kinds.items():
        if kind == "fixture":
            expected = FIXTURE_EXPECTED.get(student)
            if student in ("good", "blank", "corrupt_json", "missing_notebook", "renamed_notebook"):
                assert totals[student] == expected, student
        else:
            assert totals[student] == VARIANT_SCORES.get(kind, totals[student]), student
    assert len(set(totals.values())) >= 4
    # Both workers took part, one task per submission.
    ran = executed_counts(cluster)
    assert len(ran) == 2 and min(ran.values()) >= 1 and sum(ran.values()) == N_SUBMISSIONS


def executed_counts(cluster) -> dict[str, int]:
    """Worker address -> how many tasks it has run."""
    from distributed import Client

    with Client(cluster.address, timeout="10s", set_as_default=False) as client:
        return client.run(lambda dask_worker: dask_worker.state.executed_count)


def cluster_workers(cluster) -> dict[str, int]:
    """Worker address -> pid, as the scheduler knows them."""
    from distributed import Client

    with Client(cluster.address, timeout="10s", set_as_default=False) as client:
        return client.run(os.getpid)


class KillOneWorkerMidRun(dx.DaskExecutor):
    """After ``after`` results, SIGKILL a worker process that is grading a submission."""

    def __init__(self, cluster, after: int = N_SUBMISSIONS // 2):
        super().__init__(cluster.address)
        self.cluster = cluster
        self.after = after
        self.killed: tuple[str, str] | None = None  # (worker address, task key)

    def map(self, fn, jobs):
        for count, pair in enumerate(super().map(fn, jobs), start=1):
            if count == self.after:
                self.kill_a_busy_worker()
            yield pair

    def kill_a_busy_worker(self) -> None:
        pids = self.client.run(os.getpid)
        ours = set(self.cluster.worker_pids())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for address, keys in self.client.processing().items():
                if keys and pids.get(address) in ours:
                    os.kill(pids[address], signal.SIGKILL)
                    self.killed = (address, str(keys[0]))
                    return
            time.sleep(0.05)
        raise AssertionError("no worker was busy to be killed")


# The kill test grades 12 of the 30 that finish quickly (good and bad), to stay quick.
N_KILL = 12
KILL_BATCH = ["good", "blank", "corrupt_json", "missing_notebook", "renamed_notebook",
              "broken_metadata", "test_edited", "fake_eq", "fake_excepthook", "student00",
              "student01", "student02"]


def csv_of(csv_text: str, students: set[str]) -> str:
    lines = csv_text.splitlines(keepends=True)
    return "".join(lines[:1] + [line for line in lines[1:] if line.split(",")[0] in students])


@pytest.mark.slow
def test_killing_a_worker_mid_run_still_grades_every_submission_exactly_once(
    graded_locally, cluster
):
    quick = [s for s in KILL_BATCH if s in graded_locally.kinds]
    rest = [s for s in sorted(graded_locally.kinds) if s not in quick]
    students = sorted((quick + rest)[:N_KILL])
    submitted = graded_locally.root / "kill-submitted"
    for student in students:
        shutil.copytree(graded_locally.submitted / student, submitted / student)
    executor = KillOneWorkerMidRun(cluster, after=N_KILL // 3)
    course, summary, csv = grade_course(
        graded_locally.root / "killed", graded_locally.source, submitted, executor
    )
    assert executor.killed is not None
    address, key = executor.killed
    assert address not in cluster_workers(cluster)  # the worker is gone for good
    assert len([p for p in cluster.workers if p.poll() is None]) == 1
    # Every submission graded once: one result per student, no failure, no doubled row.
    assert not summary.failed, summary.table()
    assert sorted(r.student for r in summary.graded) == students
    assert executor.handed_over == N_KILL and executor.duplicates_dropped == 0
    # The submission the killed worker was grading was graded again elsewhere.
    assert any(key.startswith(f"grade-{student}-") for student in students)
    counts = gradebook_counts(course)
    assert counts["journal"] == counts["journal_keys"] == counts["graded"] == N_KILL
    assert counts["submissions"] == N_KILL
    local = gradebook_counts(type(course)(root=graded_locally.root / "local",
                                          source=graded_locally.source))
    # One assignment = the same rows per submission: a doubled grade would break this.
    for table in ("notebooks", "grades"):
        assert counts[table] * N_SUBMISSIONS == local[table] * N_KILL, table
    assert csv == csv_of(graded_locally.csv, set(students))


@pytest.mark.slow
def test_a_submission_graded_twice_on_the_cluster_is_recorded_once(graded_locally, cluster):
    """Dask may run a task twice; the coordinator's write is keyed, so nothing doubles."""
    from autograder.coordinator import Coordinator
    from autograder.course import Course
    from autograder.worker import grade_submission
    from distributed import Client

    course = Course(root=graded_locally.root / "twice", source=graded_locally.source)
    student = next(s for s, kind in graded_locally.kinds.items() if kind == "good")
    shutil.copytree(graded_locally.submitted / student, course.submitted / student)
    coordinator = Coordinator(course, executor=object(), limits=grading_limits())
    [job] = coordinator.discover()
    template = dx.pack_folder(job.template)
    digest = "twice-test"
    workers = sorted(cluster_workers(cluster))
    with Client(cluster.address, timeout="10s", set_as_default=False) as client:
        # The same job, once on each worker: two real runs of one submission.
        futures = [
            client.submit(dx.grade_shipped, grade_submission, job, dx.pack_folder(job.submission),
                          template, digest, pure=False, workers=[w], allow_other_workers=False)
            for w in workers
        ]
        first, second = client.gather(futures)
        client.run(dx.drop_templates, [digest])
    assert first.status == second.status == "graded"
    assert first.score() == second.score() == csv_totals(graded_locally.csv)[student]
    coordinator.record(first)
    once = gradebook_counts(course)
    coordinator.record(second)
    assert gradebook_counts(course) == once
    assert once["journal"] == once["submissions"] == 1
    assert coordinator.recorded()[(student, ASSIGNMENT)]["score"] == first.score()


def test_make_grade_with_an_unreachable_scheduler_stops_before_any_work(tmp_path):
    """``GRADER_SCHEDULER=... make grade``: the CLI it runs fails fast and touches nothing."""
    import subprocess

    require_program("bwrap", "bubblewrap")
    course = tmp_path / "course"
    submission = course / "submitted" / "student00" / ASSIGNMENT
    submission.mkdir(parents=True)
    shutil.copy(FIXTURE_SOURCE / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", submission)
    address = f"tcp://127.0.0.1:{free_port()}"
    env = dict(os.environ, GRADER_SCHEDULER=address, GRADER_SCHEDULER_TIMEOUT="2",
               PYTHONPATH=os.pathsep.join(str(p) for p in WORKER_PATH))
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "--course", str(course), "--source",
         str(FIXTURE_SOURCE), "grade", "--no-progress"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"cannot reach the Dask scheduler at {address}" in done.stderr
    assert "No submission was graded" in done.stderr
    assert time.monotonic() - started < 60
    # Nothing was prepared or written: no gradebook, no template, no autograded files.
    assert sorted(p.name for p in course.iterdir()) == ["submitted"]


@pytest.mark.slow
def test_workers_under_a_nanny_grade_the_same(graded_locally):
    """``dask worker`` and dask-jobqueue run workers under a nanny (daemon processes)."""
    students = sorted(s for s in ("good", "blank", "fake_eq", "student02")
                      if s in graded_locally.kinds)
    submitted = graded_locally.root / "nanny-submitted"
    for student in students:
        shutil.copytree(graded_locally.submitted / student, submitted / student)
    with dx.loopback_cluster(2, pythonpath=WORKER_PATH, nanny=True) as cluster:
        executor = dx.DaskExecutor(cluster.address)
        _, summary, csv = grade_course(
            graded_locally.root / "nanny", graded_locally.source, submitted, executor
        )
    assert not summary.failed, summary.table()
    assert executor.handed_over == len(students) >= 3
    assert csv == csv_of(graded_locally.csv, set(students))

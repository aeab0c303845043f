"""Grade submissions on a Dask cluster instead of this machine's processes.

``make grade`` keeps grading locally. Setting ``GRADER_SCHEDULER`` (for example
``tcp://head-node:8786``) sends every submission to an existing Dask cluster as
one task. The split of work stays the same as for local grading:

* the worker function grades ONE submission in a private temporary course
  directory and returns a plain result; it never opens the gradebook;
* this executor only maps that function over the jobs and hands each result
  back, in the main process, as soon as it is ready (``as_completed``);
* the coordinator in the main process is the one place that writes grades.

Dask may run a task more than once (a worker dies mid-task and the scheduler
reschedules it). Because tasks only *compute* and the coordinator *writes*,
a second run can at most produce a second copy of the same result; this
executor hands the coordinator at most one result per job, and the
coordinator's write is keyed by the submission, so a grade is never doubled.

Workers need only the project installed (``pip install -e .`` puts both
``treeprop`` and ``autograder`` on the path) and the sandbox tool (``bwrap``). The check in
:meth:`DaskExecutor.connect` proves both before the first submission is sent.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .executors import TaskFailure

ENV_SCHEDULER = "GRADER_SCHEDULER"
DEFAULT_PORT = 8786
# Seconds: a scheduler that does not answer this fast is reported as unreachable.
CONNECT_TIMEOUT = float(os.environ.get("GRADER_SCHEDULER_TIMEOUT", "5"))
# Seconds to wait for the first worker to join a reachable scheduler.
WORKER_WAIT = float(os.environ.get("GRADER_WORKER_WAIT", "60"))


class SchedulerUnreachable(RuntimeError):
    """The Dask scheduler could not be reached (or has no usable workers)."""


class WorkerNotReady(RuntimeError):
    """A Dask worker lacks what grading needs (the project, the sandbox)."""


# -- addresses -----------------------------------------------------------------------


def normalise_address(address: str) -> str:
    """``host``, ``host:port`` or ``tcp://host:port`` as ``tcp://host:port``."""
    text = address.strip()
    if not text:
        raise SchedulerUnreachable(f"{ENV_SCHEDULER} is set but empty")
    if "://" not in text:
        text = "tcp://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("tcp", "tls"):
        raise SchedulerUnreachable(
            f"scheduler address {address!r}: only tcp:// and tls:// are supported"
        )
    if not parts.hostname:
        raise SchedulerUnreachable(f"scheduler address {address!r} has no host")
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError as error:
        raise SchedulerUnreachable(f"scheduler address {address!r}: {error}") from None
    host = parts.hostname
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"{parts.scheme}://{host}:{port}"


def _host_port(address: str) -> tuple[str, int]:
    parts = urlsplit(normalise_address(address))
    return parts.hostname or "", parts.port or DEFAULT_PORT


def is_loopback(address: str) -> bool:
    """True when the scheduler runs on this machine's loopback interface."""
    host, _ = _host_port(address)
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_reachable(address: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Open (and close) a TCP connection to the scheduler, or explain why not.

    This runs before any submission is sent, with a short timeout, so a typo in
    ``GRADER_SCHEDULER`` or a cluster that is down fails in seconds with a
    message that says what to fix, not after a long hang inside Dask.
    """
    host, port = _host_port(address)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except socket.gaierror as error:
        raise SchedulerUnreachable(
            f"cannot reach the Dask scheduler at {normalise_address(address)}: "
            f"unknown host {host!r} ({error.strerror}). Check {ENV_SCHEDULER}."
        ) from None
    except (TimeoutError, OSError) as error:
        reason = "timed out" if isinstance(error, TimeoutError) else (
            error.strerror or str(error)
        )
        raise SchedulerUnreachable(
            f"cannot reach the Dask scheduler at {normalise_address(address)} "
            f"({reason} after at most {timeout:g} s). Is the scheduler running "
            f"(`dask scheduler --port {port}`) and is the address in {ENV_SCHEDULER} "
            "right? No submission was graded."
        ) from None


def warn_if_sqlite_on_cluster(address: str, db_url: str | None) -> str | None:
    """Warn when a multi-machine run would keep its gradebook in SQLite.

    Workers never open the gradebook, so grading itself is safe; but a cluster
    run usually keeps the course on a network file system, where SQLite's file
    locking is unreliable, and other machines (feedback, export, a second
    instructor) then share that file. Multi-machine runs should use PostgreSQL.
    Returns the warning text (None when there is nothing to say).
    """
    if is_loopback(address):
        return None
    if db_url and not db_url.startswith("sqlite"):
        return None
    message = (
        f"grading on the Dask cluster at {normalise_address(address)} with a SQLite "
        "gradebook: for multi-machine runs use PostgreSQL (set the course's db_url, "
        "e.g. postgresql://user@dbhost/course). SQLite on a shared file system can "
        "lose or corrupt writes."
    )
    warnings.warn(message, RuntimeWarning, stacklevel=2)
    return message


# -- what a worker must have -----------------------------------------------------------


def worker_report() -> dict[str, Any]:
    """Runs on each worker: can it import the project and run the sandbox?"""
    report: dict[str, Any] = {
        "python": sys.version.split()[0],
        "host": socket.gethostname(),
        "bwrap": shutil.which("bwrap"),
    }
    try:
        import autograder  # noqa: F401  (the worker function lives here)

        report["autograder"] = str(getattr(autograder, "__file__", None) or autograder.__path__)
    except ImportError as error:
        report["autograder"] = None
        report["error"] = str(error)
    try:
        import treeprop

        report["treeprop"] = getattr(treeprop, "__version__", "?")
    except ImportError:
        report["treeprop"] = None
    return report


def problems_in(reports: dict[str, dict[str, Any]], *, need_sandbox: bool) -> list[str]:
    """Human-readable problems found in :func:`worker_report` answers."""
    found = []
    for worker, report in sorted(reports.items()):
        host = report.get("host", "?")
        if not report.get("autograder"):
            found.append(
                f"worker {worker} on {host} cannot import the autograder "
                f"({report.get('error', 'not installed')}): install the project there "
                "(pip install -e <checkout>, which installs treeprop and autograder)"
            )
        if not report.get("treeprop"):
            found.append(f"worker {worker} on {host} cannot import treeprop")
        if need_sandbox and not report.get("bwrap"):
            found.append(
                f"worker {worker} on {host} has no bwrap: install the bubblewrap package"
            )
    return found


# -- the executor ----------------------------------------------------------------------


# -- shipping a submission's files to a worker that may not share our disk ----------------


def pack_folder(folder: str | os.PathLike, *, trusted: bool = False) -> bytes:
    """A folder's plain files as gzip'd tar bytes (checkpoints and caches left out).

    Read like staging reads a submission: links are never followed and sizes are
    bounded (what is refused was already noted by the coordinator's discovery).
    """
    from .sandbox import Limits
    from .staging import read_bytes, scan

    limits = Limits()
    if trusted:  # the instructor's course template: no submission bounds
        limits = Limits(submission_files=10**6, submission_file_bytes=2**40,
                        submission_bytes=2**42)
    buffer = io.BytesIO()
    root = Path(folder)
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for rel in sorted(scan(root, limits).files, key=lambda r: r.split("/")):
            try:
                data = read_bytes(root / rel, limits.submission_file_bytes)
            except OSError:
                continue
            info = tarfile.TarInfo(rel)
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def unpack_folder(data: bytes, destination: Path) -> Path:
    """Extract :func:`pack_folder` bytes; only plain files, never outside ``destination``."""
    destination.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        archive.extractall(destination, filter="data")
    return destination


def _template_cache(digest: str, data: bytes) -> Path:
    """The course template on this worker, unpacked once per worker machine and user."""
    base = Path(tempfile.gettempdir()) / f"treeprop-templates-{os.getuid()}"
    base.mkdir(mode=0o700, exist_ok=True)
    os.chmod(base, 0o700)  # holds hidden tests: private to the grading user
    folder = base / digest
    if (folder / ".complete").exists():
        return folder
    building = Path(tempfile.mkdtemp(prefix=f"{digest}.", dir=base))
    unpack_folder(data, building)
    (building / ".complete").write_text("")
    try:
        building.rename(folder)  # atomic; another task may have won the race
    except OSError:
        shutil.rmtree(building, ignore_errors=True)
    return folder


def drop_templates(digests: Iterable[str]) -> int:
    """Runs on a worker after a batch: delete its copies of these course templates.

    They hold the hidden tests, so they do not outlive the batch on compute nodes.
    """
    base = Path(tempfile.gettempdir()) / f"treeprop-templates-{os.getuid()}"
    removed = 0
    for digest in digests:
        folder = base / digest
        if folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def grade_shipped(fn: Callable[[Any], Any], job: Any, submission: bytes, template: bytes,
                  digest: str) -> Any:
    """Runs on a worker: unpack the files a job names, then call the pure worker ``fn``.

    The job's ``submission`` and ``template`` paths point at the instructor's disk; here
    they are replaced by local copies, so a worker needs no shared file system.
    """
    cached = _template_cache(digest, template)
    with tempfile.TemporaryDirectory(prefix="treeprop-submission-") as scratch:
        local = unpack_folder(submission, Path(scratch) / "submission")
        return fn(dataclasses.replace(job, submission=str(local), template=str(cached)))


def _ships(job: Any) -> bool:
    return dataclasses.is_dataclass(job) and all(
        isinstance(getattr(job, name, None), str) for name in ("submission", "template")
    )


def job_key(job: Any) -> str:
    """A readable, unique Dask key for one submission's task."""
    label = getattr(job, "key", None) or getattr(job, "label", None)
    if callable(label):
        label = label()
    if label is None and isinstance(job, dict):
        label = "-".join(str(job.get(k, "")) for k in ("student", "assignment"))
    text = str(label) if label is not None else "job"
    text = "".join(c if c.isalnum() or c in "-_." else "_" for c in text)[:60]
    # Unique per submission to the cluster: Dask must never treat two
    # submissions as one cached result, nor reuse a result from an earlier run.
    return f"grade-{text}-{uuid.uuid4().hex[:12]}"


def identity_of(job: Any) -> Any:
    """What makes a job unique for exactly-once hand-over."""
    for attribute in ("identity", "key"):
        value = getattr(job, attribute, None)
        if value is not None:
            return value() if callable(value) else value
    if isinstance(job, dict):
        return tuple(sorted((k, repr(v)) for k, v in job.items()))
    return repr(job)


class DaskExecutor:
    """Map the pure worker function over jobs on an existing Dask cluster.

    ``map(fn, jobs)`` yields ``(job, result)`` pairs in the order tasks finish;
    the caller (the coordinator) writes each result once. A task that fails
    on the cluster yields ``(job, TaskFailure)`` instead of stopping the batch.
    """

    name = "dask"

    def __init__(
        self,
        address: str,
        *,
        connect_timeout: float = CONNECT_TIMEOUT,
        worker_wait: float = WORKER_WAIT,
        need_sandbox: bool = True,
        retries: int = 0,
        ship_files: bool = True,
    ) -> None:
        self.address = normalise_address(address)
        self.connect_timeout = connect_timeout
        self.worker_wait = worker_wait
        self.need_sandbox = need_sandbox
        self.retries = retries
        # Send each submission's files with its task (workers need no shared disk);
        # False passes the jobs' paths as they are (a file system shared at the same path).
        self.ship_files = ship_files
        self.client = None
        self.workers: dict[str, dict[str, Any]] = {}
        self.handed_over = 0
        self.duplicates_dropped = 0

    # The number of workers, so a caller can size progress output like for WORKERS=N.
    @property
    def size(self) -> int:
        return max(1, len(self.workers))

    def connect(self) -> DaskExecutor:
        """Reach the scheduler, wait for a worker, check every worker; fail fast."""
        if self.client is not None:
            return self
        check_reachable(self.address, self.connect_timeout)
        from distributed import Client

        try:
            client = Client(
                self.address,
                timeout=f"{max(self.connect_timeout, 1):g}s",
                set_as_default=False,
            )
        except (OSError, TimeoutError) as error:
            raise SchedulerUnreachable(
                f"the Dask scheduler at {self.address} accepted a connection but did not "
                f"answer as a scheduler ({error}). No submission was graded."
            ) from None
        try:
            try:
                client.wait_for_workers(1, timeout=self.worker_wait)
            except Exception:  # dask's TimeoutError type varies between versions
                raise SchedulerUnreachable(
                    f"the Dask scheduler at {self.address} has no workers after "
                    f"{self.worker_wait:g} s: start some (`dask worker {self.address}`) "
                    "or check that they can reach the scheduler. No submission was graded."
                ) from None
            self.workers = client.run(worker_report)
            problems = problems_in(self.workers, need_sandbox=self.need_sandbox)
            if problems:
                raise WorkerNotReady(
                    "the Dask workers cannot grade yet:\n  " + "\n  ".join(problems)
                )
        except BaseException:
            client.close()
            raise
        self.client = client
        return self

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    def __enter__(self) -> DaskExecutor:
        return self.connect()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def map(self, fn: Callable[[Any], Any], jobs: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        """Submit one task per job; yield ``(job, result)`` as tasks complete."""
        from distributed import as_completed

        self.connect()
        jobs = list(jobs)
        if not jobs:
            return
        by_future = {}
        templates: dict[str, tuple[Any, str]] = {}
        for job in jobs:
            key = job_key(job)
            if self.ship_files and _ships(job):
                # The course template goes to the cluster once (and to each worker once);
                # each task carries only its own submission's files.
                if job.template not in templates:
                    data = pack_folder(job.template, trusted=True)
                    digest = hashlib.sha256(data).hexdigest()[:24]
                    future = self.client.scatter(data, hash=False)
                    templates[job.template] = (future, digest)
                shared, digest = templates[job.template]
                future = self.client.submit(
                    grade_shipped, fn, job, pack_folder(job.submission), shared, digest,
                    key=key, pure=False, retries=self.retries,
                )
            else:
                future = self.client.submit(fn, job, key=key, pure=False, retries=self.retries)
            by_future[future] = job
        seen: set[Any] = set()
        try:
            for future in as_completed(list(by_future), loop=self.client.loop):
                job = by_future.pop(future)
                try:
                    result = future.result()
                except Exception as error:  # the cluster failed this task
                    result = TaskFailure(job, f"{type(error).__name__}: {error}")
                finally:
                    future.release()
                identity = identity_of(job)
                if identity in seen:  # never hand the same submission over twice
                    self.duplicates_dropped += 1
                    continue
                seen.add(identity)
                self.handed_over += 1
                yield job, result
        finally:
            # Interrupted (Ctrl-C) or done: nothing left should keep running for us.
            if by_future and self.client is not None:
                self.client.cancel(list(by_future))
            for shared, _ in templates.values():
                shared.release()
            if templates and self.client is not None:
                try:
                    self.client.run(drop_templates, [d for _, d in templates.values()])
                except Exception:  # a worker that is gone has nothing left to delete
                    pass


def prepare_cluster_run(executor: Any, db_url: str | None, out=None) -> str | None:
    """Before a batch: for a Dask executor, warn about SQLite and connect now.

    Connecting here (not when the first job is sent) means an unreachable scheduler,
    a scheduler without workers or a worker without the project or bwrap is reported
    before anything is prepared or graded. Returns the problem's text, or None.
    Any other executor (serial, local processes) is left alone.
    """
    if not isinstance(executor, DaskExecutor):
        return None
    out = sys.stderr if out is None else out
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        caution = warn_if_sqlite_on_cluster(executor.address, db_url)
    if caution:
        print(f"warning: {caution}", file=out)
    try:
        executor.connect()
    except (SchedulerUnreachable, WorkerNotReady) as error:
        return str(error)
    hosts = sorted({report.get("host", "?") for report in executor.workers.values()})
    print(
        f"grading on the Dask cluster at {executor.address}: {len(executor.workers)} "
        f"worker(s) on {', '.join(hosts)}",
        file=out,
    )
    return None


def executor_from_env(environ: dict[str, str] | None = None, **options: Any) -> DaskExecutor | None:
    """A :class:`DaskExecutor` when ``GRADER_SCHEDULER`` is set, else None (grade locally)."""
    environ = os.environ if environ is None else environ
    address = environ.get(ENV_SCHEDULER, "").strip()
    if not address:
        return None
    return DaskExecutor(address, **options)


# -- a real cluster on loopback, for tests and the benchmark ------------------------------


@dataclass
class LoopbackCluster:
    """A ``dask scheduler`` and ``dask worker`` processes started on 127.0.0.1."""

    address: str
    scheduler: subprocess.Popen
    workers: list[subprocess.Popen]
    directory: Path

    def worker_pids(self) -> list[int]:
        return [process.pid for process in self.workers if process.poll() is None]

    def logs(self) -> str:
        text = []
        for path in sorted(self.directory.glob("*.log")):
            text.append(f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}")
        return "\n".join(text)


def _dask_command() -> list[str]:
    beside = Path(sys.executable).with_name("dask")
    if beside.exists():
        return [str(beside)]
    return [shutil.which("dask") or "dask"]


def _stop(process: subprocess.Popen, grace: float = 10.0) -> None:
    """Stop a process started in its own session, and everything it started."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    # Whatever is left in its process group (a kernel a killed worker left behind).
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        pass


@contextmanager
def loopback_cluster(
    n_workers: int = 2,
    *,
    pythonpath: Iterable[str | os.PathLike] = (),
    env: dict[str, str] | None = None,
    ready_timeout: float = 90.0,
    nanny: bool = False,
) -> Iterator[LoopbackCluster]:
    """Start a scheduler and ``n_workers`` single-threaded workers as separate processes.

    Everything listens on 127.0.0.1 only (ports chosen by the OS, the address
    read back from the scheduler file), dashboards are off, and every process
    runs in its own session so teardown also ends what it started. Workers run
    without a nanny by default: killing a worker's pid loses that worker for good,
    which is what a machine dying on a cluster looks like to the scheduler.
    ``nanny=True`` runs them the way ``dask worker`` and dask-jobqueue do by default.
    """
    directory = Path(tempfile.mkdtemp(prefix="treeprop-dask-"))
    scheduler_file = directory / "scheduler.json"
    child_env = dict(os.environ if env is None else env)
    extra = [str(Path(p).resolve()) for p in pythonpath]
    if extra:
        old = child_env.get("PYTHONPATH")
        child_env["PYTHONPATH"] = os.pathsep.join(extra + ([old] if old else []))
    child_env.pop(ENV_SCHEDULER, None)
    # Keep each worker to one core's worth of threads in numeric libraries too.
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        child_env.setdefault(name, "1")
    dask = _dask_command()
    processes: list[subprocess.Popen] = []

    def launch(name: str, arguments: list[str]) -> subprocess.Popen:
        log = open(directory / f"{name}.log", "wb")  # noqa: SIM115 (closed with the dir)
        process = subprocess.Popen(
            dask + arguments,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=child_env,
            cwd=directory,
            start_new_session=True,
        )
        log.close()
        processes.append(process)
        return process

    try:
        scheduler = launch(
            "scheduler",
            ["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--scheduler-file", str(scheduler_file)],
        )
        deadline = time.monotonic() + ready_timeout
        while not scheduler_file.exists() or not scheduler_file.stat().st_size:
            if scheduler.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the dask scheduler did not start:\n" + _read_logs(directory))
            time.sleep(0.1)
        import json

        address = json.loads(scheduler_file.read_text())["address"]
        workers = [
            launch(
                f"worker{i}",
                ["worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                 "--nanny" if nanny else "--no-nanny",
                 "--no-dashboard", "--name", f"worker{i}", "--death-timeout", "60",
                 "--local-directory", str(directory / f"worker{i}")],
            )
            for i in range(n_workers)
        ]
        cluster = LoopbackCluster(address, scheduler, workers, directory)
        _wait_for_workers(cluster, n_workers, deadline)
        yield cluster
    finally:
        for process in reversed(processes):
            _stop(process)
        shutil.rmtree(directory, ignore_errors=True)


def _read_logs(directory: Path) -> str:
    return "\n".join(
        f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in directory.glob("*.log")
    )


def _wait_for_workers(cluster: LoopbackCluster, n_workers: int, deadline: float) -> None:
    from distributed import Client

    with Client(cluster.address, timeout="10s", set_as_default=False) as client:
        while len(client.scheduler_info(n_workers=-1)["workers"]) < n_workers:
            dead = [p for p in cluster.workers if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                raise RuntimeError(
                    f"only {len(client.scheduler_info(n_workers=-1)['workers'])} of "
                    f"{n_workers} dask workers joined:\n" + cluster.logs()
                )
            time.sleep(0.2)

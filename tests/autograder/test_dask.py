"""The autograder on Dask: a real scheduler and real workers, started here on loopback.

Every cluster in this module is made of separate ``dask scheduler`` / ``dask worker``
processes (127.0.0.1, ports chosen by the OS, one thread per worker, no dashboard),
started by :func:`autograder.dask_executor.loopback_cluster` and always torn down.
"""

from __future__ import annotations

import os
import socket
import sys
import time
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

"""Executors map the pure worker function over jobs.

Interface (shared with ``dask_executor.DaskExecutor``)::

    with executor:                                  # optional context manager
        for job, result in executor.map(fn, jobs):  # results as they finish
            ...
    executor.size                                   # how many jobs run at once

A job the executor itself could not run yields ``(job, TaskFailure(job, reason))``.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any


@dataclass
class TaskFailure:
    """The executor failed to run a job (not a student error): retried next run."""

    job: Any
    error: str


class SerialExecutor:
    """Grade one submission after the other in this process."""

    name = "serial"
    size = 1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def map(self, fn: Callable[[Any], Any], jobs: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        for job in jobs:
            try:
                result = fn(job)
            except Exception as error:
                result = TaskFailure(job, f"{type(error).__name__}: {error}")
            yield job, result


class LocalProcessExecutor:
    """A pool of ``workers`` processes on this machine (default: number of cores)."""

    name = "processes"

    def __init__(self, workers: int | None = None):
        self.size = max(1, workers or os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def map(self, fn: Callable[[Any], Any], jobs: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        jobs = list(jobs)
        if not jobs:
            return
        context = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(max_workers=min(self.size, len(jobs)),
                                         mp_context=context)
        pending = {}
        queue = list(jobs)
        # Keep at most size * 2 jobs in flight so an interrupt loses little queued work.
        try:
            while queue or pending:
                while queue and len(pending) < self.size * 2:
                    job = queue.pop(0)
                    pending[self._pool.submit(fn, job)] = job
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    job = pending.pop(future)
                    try:
                        result = future.result()
                    except Exception as error:  # a worker process died, etc.
                        result = TaskFailure(job, f"{type(error).__name__}: {error}")
                    yield job, result
        finally:
            self.close()


def make_executor(workers: int | None = None):
    """``GRADER_SCHEDULER`` set -> Dask; ``workers == 1`` -> serial; else a process pool."""
    try:
        from .dask_executor import executor_from_env
    except ImportError:  # pragma: no cover - dask is optional
        executor_from_env = None
    if executor_from_env is not None:
        executor = executor_from_env()
        if executor is not None:
            return executor
    if workers == 1:
        return SerialExecutor()
    return LocalProcessExecutor(workers)

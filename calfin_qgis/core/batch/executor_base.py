"""What every executor shares: a job's outcome or :class:`Failed`, the ``Executor``
interface, and the executor that runs the jobs in this process (``executors`` chooses one;
``executors`` and ``dask_cluster`` hold the others)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from ..errors import Cancelled, InputError

J = TypeVar("J")
IsCancelled = Callable[[], bool]
JobFunction = Callable[[Any, IsCancelled], Any]
"""``fn(job, cancelled)``, top level in an importable module (worker processes import it)."""

POLL_SECONDS = 0.2
"""How often a waiting executor asks ``cancelled()``: a cancel is seen within this time."""


@dataclass(frozen=True)
class Failed:
    """A job that raised, or whose worker died, with the reason for the status table."""

    reason: str
    seconds: float = 0.0


def error_reason(err: BaseException) -> str:
    """An InputError's message is written for the user; other errors also name their type."""
    if isinstance(err, InputError):
        return str(err)
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__


def never() -> bool:
    return False


def call(fn: JobFunction, job: Any, cancelled: IsCancelled = never) -> Any:
    """``fn(job, cancelled)``, an exception turned into :class:`Failed` (a Cancelled passes)."""
    start = time.perf_counter()
    try:
        return fn(job, cancelled)
    except Cancelled:
        raise
    except Exception as err:  # noqa: BLE001 - one bad job is a status row, not the end
        return Failed(error_reason(err), time.perf_counter() - start)


def cpu_count() -> int:
    """The cores this process may use (its CPU affinity where the system says)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def threads_per_worker(workers: int) -> int:
    """Each worker's share of the cores, at least one, so that N workers do not oversubscribe."""
    return max(1, cpu_count() // max(1, workers))


class Executor:
    """Runs ``fn(job, cancelled)`` for many jobs; a context manager that releases its workers
    on exit."""

    description = ""
    log: Callable[[str, str], None] = staticmethod(lambda kind, text: None)
    """Receives ("info" | "warning", text): what the executor does besides the jobs (a
    retry after a worker died); the batch sets its log here."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, exc_type, *_) -> None:
        self.close(stop_running=exc_type is not None)  # e.g. a second Ctrl-C: stop now

    def close(self, stop_running: bool = False) -> None:
        """Release the workers; with ``stop_running`` without waiting for running jobs."""

    def map(
        self, fn: JobFunction, jobs: Iterable[J], cancelled: IsCancelled = never
    ) -> Iterator[tuple[J, Any]]:
        """``(job, outcome)`` pairs in the order they finish; stops soon after ``cancelled()``
        turns true (jobs not finished by then are not yielded)."""
        raise NotImplementedError


class InProcess(Executor):
    """One job after the other in this process: a cancel is seen between jobs."""

    description = "this process, one job at a time"

    def map(self, fn, jobs, cancelled=never):
        for job in jobs:
            if cancelled():
                return
            try:
                outcome = call(fn, job, cancelled)
            except Cancelled:
                return
            yield job, outcome

"""Run many independent jobs on every core, or on a Dask cluster, and hand back outcomes.

The batch builds plain picklable jobs and a top-level job function; an executor runs
``fn(job, cancelled)`` for each and yields ``(job, outcome)`` as results arrive, where the
outcome is the function's return value or :class:`Failed` with the reason (an exception is
caught where it arose, so only plain values travel back). A bounded number of jobs is in
flight at any time, so 100,000 jobs are never all submitted and no list of all results is
held: the caller writes each outcome and lets it go. Opening the executor (``with
open_executor(...) as pool``) is the step that can fail early, before any output is opened.

- one worker: in this process (no start-up cost; onnxruntime uses every core; the job
  function gets the caller's ``cancelled``, so a long job stops in its middle);
- local processes: ``concurrent.futures.ProcessPoolExecutor`` with the "spawn" context (QGIS
  and GDAL state do not survive a fork), each worker's onnxruntime limited to cores // workers
  threads; a job whose worker dies is retried once, alone, then failed with the reason; a
  cancel terminates the workers (the job function gets a ``cancelled`` that stays false);
- Dask: a running ``dask.distributed`` scheduler (``tcp://host:8786``) or ``"local"`` (a
  LocalCluster of processes here). Dask is imported on that path only.

This module holds the local processes and ``open_executor``; ``executor_base`` the outcome,
the interface and the in-process executor; ``dask_cluster`` the Dask one.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import importlib
import multiprocessing
import os
import signal
import threading
import time
from typing import Any

from ..errors import InputError
from ..interpreter import python_executable
from ..network.model import THREADS_ENV
from .executor_base import (
    POLL_SECONDS,
    Executor,
    Failed,
    InProcess,
    JobFunction,
    call,
    cpu_count,
    error_reason,
    never,
    threads_per_worker,
)

CONNECT_TIMEOUT = 10.0
"""Seconds to wait for a Dask scheduler before the batch stops with an error."""
_END = object()
DIED_TWICE = (
    "its worker process died while running it, also when it ran alone on the retry (killed, "
    "or out of memory?)"
)


def _init_worker(threads: int) -> None:
    """Worker start: onnxruntime gets this worker's share of the cores, Ctrl-C in the
    terminal is left to the parent (which stops the workers), not turned into failed jobs,
    and the worker ends when its parent does (``_end_with_parent``)."""
    os.environ.setdefault(THREADS_ENV, str(threads))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_end_with_parent, args=(os.getppid(),), daemon=True).start()


def _end_with_parent(parent: int) -> None:
    """A parent killed (kill -9, a scheduler's time limit) cannot stop its workers: each
    watches for it to go (it is then adopted by another process) and exits, so no idle
    worker holds its memory, nor the resource tracker, which ends when they do."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)


PARENT_POLL_SECONDS = 0.5


def _import(module: str) -> None:
    importlib.import_module(module)


def worker_python() -> str:
    """The interpreter for worker processes: QGIS's own Python. Inside QGIS
    ``sys.executable`` is the QGIS program, or whatever ``python3`` is first on PATH (another
    Python whose standard library breaks QGIS's numpy); ``interpreter`` knows how to find it."""
    return python_executable()


class LocalProcesses(Executor):
    """``workers`` spawned Python processes on this machine.

    When a worker dies (killed, out of memory), ``ProcessPoolExecutor`` breaks and every job
    in flight is lost with it, without saying which one killed it. Those jobs are retried one
    at a time on a fresh pool, so a second death names its job exactly: that job is failed
    with the reason, and the rest go on in parallel again.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.threads = threads_per_worker(workers)
        self.description = (
            f"{workers} local worker processes, {self.threads} onnxruntime thread(s) each"
        )
        self.context = multiprocessing.get_context("spawn")
        self.context.set_executable(worker_python())
        self.pool: cf.ProcessPoolExecutor | None = None

    def _fresh_pool(self) -> cf.ProcessPoolExecutor:
        self.close()
        self.pool = cf.ProcessPoolExecutor(
            self.workers, self.context, initializer=_init_worker, initargs=(self.threads,)
        )
        return self.pool

    def close(self, stop_running: bool = False) -> None:
        if self.pool is None:
            return
        if stop_running:
            # ProcessPoolExecutor waits for running jobs even with cancel_futures; a cancelled
            # run must end now (Python 3.14 has terminate_workers() for this).
            for process in list((getattr(self.pool, "_processes", None) or {}).values()):
                process.terminate()
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool = None

    def _check_workers(self, fn: JobFunction) -> None:
        """A worker that cannot import the job function dies on every job with no reason
        given: import it once first, where an error comes back with its message."""
        try:
            self.pool.submit(_import, fn.__module__).result()
        except Exception as err:  # noqa: BLE001 - whatever the import raised, or a dead worker
            raise InputError(
                f"The worker processes ({worker_python()}) cannot import {fn.__module__}: "
                f"{error_reason(err)}. Run with 1 worker (in this process), or fix that "
                "Python's packages."
            ) from err

    def map(self, fn, jobs, cancelled=never):
        pending = iter(jobs)
        suspects: collections.deque = collections.deque()  # jobs lost once to a dead worker
        running: dict[cf.Future, tuple[Any, bool]] = {}  # future → (job, is a retry)
        if self.pool is None:
            self._fresh_pool()
            self._check_workers(fn)
        pool = self.pool
        limit = 2 * self.workers
        while True:
            while not cancelled() and len(running) < (1 if suspects else limit):
                retry = bool(suspects)
                job = suspects.popleft() if retry else next(pending, _END)
                if job is _END:
                    break
                running[pool.submit(call, fn, job)] = (job, retry)
            if not running or cancelled():
                break
            done, _ = cf.wait(running, timeout=POLL_SECONDS, return_when=cf.FIRST_COMPLETED)
            if cancelled():  # jobs cut short by the stop are not outcomes
                break
            broken = False
            for future in done:
                if cancelled():  # nothing more after a cancel: the caller has stopped
                    break
                job, retry = running.pop(future)
                err = future.exception()
                if isinstance(err, cf.process.BrokenProcessPool):
                    broken = True
                    if retry:
                        yield job, Failed(DIED_TWICE)
                    else:
                        suspects.append(job)
                else:
                    yield job, (Failed(error_reason(err)) if err else future.result())
            if broken:
                suspects.extend(job for job, _ in running.values())  # lost with the pool
                running.clear()
                self.log(
                    "warning",
                    f"A worker process died; its {len(suspects)} job(s) in flight are run "
                    "again, one at a time, to find the one that killed it.",
                )
                pool = self._fresh_pool()
        if cancelled():
            self.close(stop_running=True)


def open_executor(
    workers: int | None = None, scheduler: str | None = None, timeout: float | None = None
) -> Executor:
    """The executor for ``--workers`` / ``--scheduler``; connects now, so it fails early.

    ``workers``: local processes (default: every core; 1 runs in this process); with
    ``scheduler="local"`` the LocalCluster's worker count. ``scheduler``: a Dask scheduler
    address, or ``"local"``. ``timeout``: seconds to wait for the scheduler (default
    ``CONNECT_TIMEOUT``).
    """
    if workers is not None and workers < 1:
        raise InputError(f"workers must be at least 1, not {workers}.")
    if scheduler:
        from .dask_cluster import DaskCluster

        return DaskCluster(scheduler, workers, timeout or CONNECT_TIMEOUT)
    workers = workers or cpu_count()
    return InProcess() if workers == 1 else LocalProcesses(workers)

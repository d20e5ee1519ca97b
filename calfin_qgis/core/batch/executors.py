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
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import importlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from ..errors import Cancelled, InputError
from ..network.model import THREADS_ENV
from .cluster_check import check_cluster

J = TypeVar("J")
IsCancelled = Callable[[], bool]
JobFunction = Callable[[Any, IsCancelled], Any]
"""``fn(job, cancelled)``, top level in an importable module (worker processes import it)."""

POLL_SECONDS = 0.2
"""How often a waiting executor asks ``cancelled()``: a cancel is seen within this time."""

CONNECT_TIMEOUT = 10.0
"""Seconds to wait for a Dask scheduler before the batch stops with an error."""

DASK_INSTALL = 'python3 -m pip install "dask[distributed]"'


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
    Python whose standard library breaks QGIS's numpy); ``deps`` knows how to find it."""
    from ... import deps

    return deps.python_executable()


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


_END = object()
DIED_TWICE = (
    "its worker process died while running it, also when it ran alone on the retry (killed, "
    "or out of memory?)"
)


def dask_module():
    """``dask.distributed``, or an InputError that says how to install it."""
    try:
        import dask
        import dask.distributed
    except ImportError as err:
        raise InputError(
            f"Running on a Dask cluster needs the Python package dask.distributed ({err}). "
            f"Install it with: {DASK_INSTALL} (on this machine and on every worker), or "
            "leave out the scheduler to use local worker processes."
        ) from err
    return dask


def _on_dask_worker(fn: JobFunction, job: Any) -> Any:
    """Runs on a Dask worker: one core per task unless the worker's environment says more."""
    os.environ.setdefault(THREADS_ENV, "1")
    return call(fn, job)


class DaskCluster(Executor):
    """Jobs as tasks of a ``dask.distributed`` cluster.

    Only the job values (paths, windows, options) go through the scheduler: the workers read
    the scenes themselves. A task whose worker dies is rescheduled by Dask (up to the
    scheduler's ``distributed.scheduler.allowed-failures``; 1 for ``"local"``), then it
    fails with ``KilledWorker`` and is reported with that reason.
    """

    def __init__(self, scheduler: str, workers: int | None, timeout: float) -> None:
        dask = dask_module()
        distributed = dask.distributed
        self.distributed = distributed
        self.cluster = None
        if scheduler == "local":
            workers = workers or cpu_count()
            # A dying worker counts against every task assigned to it, so each worker is given
            # only the task it runs (saturation 1.0): a retry then blames just that task.
            # Workers do not sample their own stacks every 10 ms (Dask's profiler): the cores
            # are the jobs'.
            settings = {
                "distributed.scheduler.allowed-failures": 1,
                "distributed.scheduler.worker-saturation": 1.0,
                "distributed.worker.profile.enabled": False,
            }
            with dask.config.set(settings):
                self.cluster = distributed.LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,  # a killed worker is reported with its job
                )
            address = self.cluster
            self.description = f"a Dask LocalCluster of {workers} worker processes"
        else:
            address = scheduler
            self.description = f"the Dask scheduler at {scheduler}"
        try:
            # the default client, which distributed.wait() uses
            self.client = distributed.Client(address, timeout=timeout)
        except (OSError, TimeoutError) as err:
            self.close()
            raise InputError(
                f"No Dask scheduler answers at {scheduler} (waited {timeout:g} s: {err}). "
                "Start one there (dask scheduler, then dask worker on each machine), check "
                "the address and port, or use 'local' for a cluster on this machine."
            ) from err
        if self.cluster is not None:
            return  # a LocalCluster runs this very Python: it has what the jobs import
        try:
            check_cluster(self.client, scheduler)
        except BaseException:
            self.close()
            raise

    def close(self, stop_running: bool = False) -> None:
        client, self.client = getattr(self, "client", None), None
        if client is not None:
            client.close()
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None

    def _slots(self) -> int:
        """Jobs to keep in flight: two per worker thread the cluster has now (it may grow)."""
        return 2 * max(1, sum(self.client.nthreads().values()))

    def map(self, fn, jobs, cancelled=never):
        distributed = self.distributed
        pending = iter(jobs)
        running: dict = {}  # future → job
        while True:
            limit = self._slots()
            while not cancelled() and len(running) < limit:
                job = next(pending, _END)
                if job is _END:
                    break
                running[self.client.submit(_on_dask_worker, fn, job, pure=False)] = job
            if not running or cancelled():
                break
            try:
                done, _ = distributed.wait(
                    list(running), timeout=POLL_SECONDS, return_when="FIRST_COMPLETED"
                )
            except TimeoutError:
                continue
            if cancelled():
                break
            for future in done:
                if cancelled():
                    break
                # A result lost with its worker before it was fetched is computed again.
                if future.status in ("finished", "error", "cancelled"):
                    yield running.pop(future), self._outcome(future)
                    future.release()
        if running:
            self.client.cancel(list(running), force=True)

    def _outcome(self, future) -> Any:
        if future.status == "finished":
            return future.result()
        if future.status == "cancelled":
            return Failed("cancelled by the Dask scheduler")
        err = future.exception()
        if isinstance(err, self.distributed.KilledWorker):
            return Failed(
                "its worker process died each time it ran it (killed, or out of memory?); "
                f"Dask: {err}"
            )
        return Failed(error_reason(err))


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
        return DaskCluster(scheduler, workers, timeout or CONNECT_TIMEOUT)
    workers = workers or cpu_count()
    return InProcess() if workers == 1 else LocalProcesses(workers)

"""Jobs as tasks of a ``dask.distributed`` cluster: a running scheduler
(``tcp://host:8786``) or ``"local"`` (a LocalCluster of processes here). Dask is imported on
this path only."""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from ..errors import InputError
from ..network.model import THREADS_ENV
from .cluster_check import check_cluster
from .executor_base import (
    POLL_SECONDS,
    Executor,
    Failed,
    JobFunction,
    call,
    cpu_count,
    error_reason,
    never,
)

DASK_INSTALL = 'python3 -m pip install "dask[distributed]"'
_END = object()


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
            if self.cluster is None:
                _reachable(scheduler, timeout)
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


def _reachable(scheduler: str, timeout: float) -> None:
    """Raise OSError when nothing listens at a ``tcp://host:port`` scheduler address.

    A Client that cannot connect leaves its event-loop thread running for the life of the
    process (in QGIS: for the session, and a crash at exit), so a scheduler that does not
    answer is found before a Client is made. Other protocols are left to the Client."""
    from distributed.comm.addressing import parse_address, parse_host_port

    protocol, location = parse_address(scheduler)
    if protocol != "tcp":
        return
    host, port = parse_host_port(location)
    with socket.create_connection((host, port), timeout=timeout):
        pass

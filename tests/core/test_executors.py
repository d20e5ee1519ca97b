"""The executors on real engines: spawned worker processes and a Dask LocalCluster.

The job functions are top-level here so that worker processes can import them; workers that
die are killed for real (SIGKILL from a thread of the test) in the middle of their job.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from calfin_qgis.core.batch import executors
from calfin_qgis.core.batch.executors import Failed, open_executor
from calfin_qgis.core.errors import Cancelled, InputError
from calfin_qgis.core.network.model import THREADS_ENV

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def square(n: int, _cancelled=None) -> int:
    if n < 0:
        raise ValueError(f"{n} is negative")
    return n * n


def onnx_threads(_job, _cancelled=None) -> str | None:
    return os.environ.get(THREADS_ENV)


def pid_then_sleep(job: tuple[str, str, float], _cancelled=None) -> str:
    """Leaves ``<name>.<pid>.pid`` in the folder (for the killer), then sleeps."""
    folder, name, seconds = job
    Path(folder, f"{name}.{os.getpid()}.pid").touch()
    time.sleep(seconds)
    return name


@contextmanager
def killer(folder: Path, name: str, times: int) -> Iterator[list[int]]:
    """Kills the worker running job ``name`` (SIGKILL), each new attempt, at most ``times``."""
    killed: list[int] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set() and len(killed) < times:
            for file in folder.glob(f"{name}.*.pid"):
                pid = int(file.suffixes[0][1:])
                if pid not in killed:
                    killed.append(pid)
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield killed
    finally:
        stop.set()
        thread.join()


def sleepy_jobs(folder: Path, count: int, seconds: float = 0.5) -> list[tuple[str, str, float]]:
    return [(str(folder), f"job{i}", seconds) for i in range(count)]


@pytest.fixture(scope="module")
def dask_local():
    pytest.importorskip("dask.distributed")
    with open_executor(workers=2, scheduler="local") as pool:
        yield pool


def test_local_processes_yield_every_result_and_each_failure_with_its_reason() -> None:
    with open_executor(workers=2) as pool:
        assert isinstance(pool, executors.LocalProcesses)
        outcomes = dict(pool.map(square, [3, -1, 4, 5]))
    assert outcomes[3] == 9 and outcomes[4] == 16 and outcomes[5] == 25
    assert outcomes[-1].reason == "ValueError: -1 is negative"


def test_local_workers_share_the_cores_among_their_onnxruntime_threads(monkeypatch) -> None:
    monkeypatch.delenv(THREADS_ENV, raising=False)
    with open_executor(workers=2) as pool:
        seen = {outcome for _, outcome in pool.map(onnx_threads, range(4))}
    assert seen == {str(executors.threads_per_worker(2))}


def test_jobs_are_pulled_as_workers_free_up_not_all_at_once() -> None:
    pulled = 0

    def jobs() -> Iterator[int]:
        nonlocal pulled
        for n in range(1000):
            pulled += 1
            yield n

    with open_executor(workers=2) as pool:
        outcomes = pool.map(square, jobs())
        next(outcomes)
        assert pulled <= 2 * 2 + 1
        assert sum(1 for _ in outcomes) == 999


def test_a_job_whose_worker_is_killed_is_retried_and_the_others_finish(tmp_path) -> None:
    with open_executor(workers=2) as pool, killer(tmp_path, "job3", times=1) as killed:
        outcomes = dict(pool.map(pid_then_sleep, sleepy_jobs(tmp_path, 8)))
    assert len(killed) == 1
    assert sorted(outcomes.values()) == sorted(f"job{i}" for i in range(8))


def test_a_job_that_kills_its_worker_twice_is_reported_and_the_others_finish(tmp_path) -> None:
    with open_executor(workers=2) as pool, killer(tmp_path, "job3", times=2) as killed:
        outcomes = {
            job[1]: outcome for job, outcome in pool.map(pid_then_sleep, sleepy_jobs(tmp_path, 8))
        }
    assert len(killed) == 2
    assert isinstance(outcomes.pop("job3"), Failed)
    assert outcomes == {f"job{i}": f"job{i}" for i in range(8) if i != 3}


def test_cancel_stops_the_running_jobs_and_keeps_what_finished(tmp_path) -> None:
    jobs = [(str(tmp_path), "quick", 0.0)] + sleepy_jobs(tmp_path, 6, seconds=600)
    seen = []

    def cancelled() -> bool:  # once the quick job is in and a long one runs
        return bool(seen) and any(tmp_path.glob("job*.pid"))

    with open_executor(workers=2) as pool:
        for _job, outcome in pool.map(pid_then_sleep, jobs, cancelled=cancelled):
            seen.append(outcome)
    assert seen == ["quick"]
    workers = {int(f.suffixes[0][1:]) for f in tmp_path.glob("job*.pid")}
    assert workers  # the long jobs had started ...
    for pid in workers:  # ... and their workers are gone
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_one_worker_runs_in_this_process_and_cancels_between_jobs() -> None:
    seen = []
    with open_executor(workers=1) as pool:
        assert isinstance(pool, executors.InProcess)
        for job, outcome in pool.map(square, [-2, 2, 3], cancelled=lambda: len(seen) == 2):
            seen.append((job, outcome))
    assert [job for job, _ in seen] == [-2, 2] and seen[1][1] == 4
    assert seen[0][1].reason == "ValueError: -2 is negative" and seen[0][1].seconds >= 0


def test_in_this_process_a_job_sees_the_cancel_and_stops_in_its_middle() -> None:
    started = []

    def long_job(job: int, cancelled) -> int:
        started.append(job)
        if cancelled():  # as segment() asks between tiles
            raise Cancelled("cancelled by the user")
        return job

    with open_executor(workers=1) as pool:
        outcomes = list(pool.map(long_job, [1, 2, 3], cancelled=lambda: len(started) == 2))
    assert outcomes == [(1, 1)] and started == [1, 2]


def test_dask_local_cluster_yields_every_result_and_each_failure(dask_local) -> None:
    assert "LocalCluster of 2" in dask_local.description
    outcomes = dict(dask_local.map(square, [3, -1, 4]))
    assert outcomes[3] == 9 and outcomes[4] == 16
    assert outcomes[-1].reason == "ValueError: -1 is negative"
    assert {o for _, o in dask_local.map(onnx_threads, range(4))} == {"1"}


@pytest.mark.parametrize("kills", [1, 2])
def test_dask_job_whose_worker_is_killed_is_retried_once_then_reported(
    dask_local, tmp_path, kills
) -> None:
    with killer(tmp_path, "job2", times=kills) as killed:
        outcomes = {
            job[1]: outcome
            for job, outcome in dask_local.map(pid_then_sleep, sleepy_jobs(tmp_path, 6))
        }
    assert len(killed) == kills
    victim = outcomes.pop("job2")
    if kills == 1:
        assert victim == "job2"
    else:
        assert isinstance(victim, Failed) and "died" in victim.reason
    assert outcomes == {f"job{i}": f"job{i}" for i in range(6) if i != 2}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_scheduler_that_does_not_answer_is_a_clear_error() -> None:
    pytest.importorskip("dask.distributed")
    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(InputError, match=f"No Dask scheduler answers at {address}"):
        open_executor(scheduler=address, timeout=2)


def test_without_dask_the_error_says_how_to_install_it(monkeypatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "dask", None)
    with pytest.raises(InputError, match=r'pip install "dask\[distributed\]"'):
        open_executor(scheduler="local")


def test_bad_worker_counts_and_thread_settings_are_refused(monkeypatch) -> None:
    with pytest.raises(InputError, match="at least 1"):
        open_executor(workers=0)
    from calfin_qgis.core.network.model import env_threads

    monkeypatch.setenv(THREADS_ENV, "two")
    with pytest.raises(InputError, match=THREADS_ENV):
        env_threads()


def test_inside_qgis_the_workers_run_qgis_python_not_the_qgis_program(monkeypatch) -> None:
    """In QGIS desktop sys.executable is /usr/bin/qgis: spawning it would start QGIS."""
    monkeypatch.setattr("sys.executable", "/usr/bin/qgis")
    python = executors.worker_python()
    assert Path(python).name.startswith("python") and Path(python).exists()
    with open_executor(workers=2) as pool:
        assert dict(pool.map(square, [2, 3])) == {2: 4, 3: 9}


def test_workers_that_cannot_import_the_job_function_are_a_clear_error() -> None:
    from tests.core.parent_only import job

    with open_executor(workers=2) as pool, pytest.raises(InputError) as error:
        next(pool.map(job, [1, 2]))
    assert "cannot import tests.core.parent_only" in str(error.value)
    assert "a_package_only_the_parent_has" in str(error.value)

"""The batch under faults a cluster or a busy user brings (issue 24), with real processes,
real signals and a real full disk: kill -9 and SIGTERM of a ``--workers 2`` run, two runs on
one output, a full disk, a read-only output, a worker that dies."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from calfin_qgis.core.batch import executors
from calfin_qgis.core.batch.glaciers import read_glaciers
from calfin_qgis.core.batch.lock import lock_path, output_lock
from calfin_qgis.core.batch.output import BatchOutput
from calfin_qgis.core.batch.runner import run_batch
from calfin_qgis.core.cli import commands
from calfin_qgis.core.errors import InputError
from tests.batch_scenes import fronts
from tests.core.test_batch import NO_FLIP, reproject_wkt, status_rows
from tests.core.test_executors import killer, pid_then_sleep, sleepy_jobs

ROOT = Path(__file__).resolve().parents[2]


def batch_process(reference: dict, output: Path, *extra: str) -> subprocess.Popen:
    """``python -m calfin_qgis.core batch`` on the reference scenes, as a user starts it."""
    argv = [sys.executable, "-m", "calfin_qgis.core", "batch", str(reference["folder"])]
    argv += ["--clip", str(reference["clip"]), "--no-flip", "--output", str(output), *extra]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )  # noqa: E501


def children(pid: int) -> set[int]:
    """The live child processes of ``pid`` (from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.add(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def started_workers(process: subprocess.Popen) -> set[int]:
    """The run's worker processes and resource tracker, once two workers and the tracker
    are up (jobs are then in flight: a worker takes seconds to load the model)."""
    assert wait_for(lambda: len(children(process.pid)) >= 3, 120), "no workers started"
    return children(process.pid)


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
def test_killed_or_terminated_run_leaves_no_process_and_a_rerun_resumes(
    batch_reference, tmp_path, how
) -> None:
    output, status = tmp_path / "fronts.gpkg", tmp_path / "status.csv"
    run = batch_process(batch_reference, output, "--workers", "2", "--status", str(status))
    workers = started_workers(run)
    # a second run on the same output, here a shell one (QGIS's would be the same core call)
    second = batch_process(batch_reference, output, "--workers", "1")
    _, err = second.communicate(timeout=120)
    assert second.returncode == 2
    (line,) = [line for line in err.splitlines() if line.startswith("error:")]
    assert f"is being written by another batch run (process {run.pid})" in line
    assert "Traceback" not in err

    assert run.poll() is None  # jobs still in flight
    run.send_signal(getattr(signal, how))
    _, err = run.communicate(timeout=60)
    # every worker and the resource tracker end with the run, within a second or two
    assert wait_for(lambda: not any(alive(pid) for pid in workers), 10)
    if how == "SIGTERM":  # stops as Ctrl-C does, with its message and exit status
        assert run.returncode == 128 + signal.SIGTERM
        assert "stopping on SIGTERM" in err
        assert "cancelled: the finished jobs are in the output" in err
        assert "Traceback" not in err
    else:
        assert run.returncode == -signal.SIGKILL
    # the status table was written as the run went (at planning, then as jobs finished)
    assert status.exists() and "skipped: no overlap" in status.read_text()

    rerun = batch_process(batch_reference, output, "--workers", "1", "--status", str(status))
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert fronts(output) == fronts(batch_reference["output"])
    assert status_rows(status).keys() == status_rows(batch_reference["status"]).keys()
    assert not lock_path(output).exists()


def test_a_run_on_an_output_another_run_writes_is_refused_before_it_touches_it(
    batch_reference, tmp_path
) -> None:
    output = tmp_path / "fronts.gpkg"
    with output_lock(output):
        run = batch_process(batch_reference, output, "--workers", "1")
        _, err = run.communicate(timeout=120)
    assert run.returncode == 2 and "Traceback" not in err
    (line,) = [line for line in err.splitlines() if line.startswith("error:")]
    assert f"{output} is being written by another batch run (process {os.getpid()})" in line
    assert not output.exists()


@pytest.fixture()
def small_disk(tmp_path) -> Iterator[Path | None]:
    """A 1 MiB tmpfs (None where this machine does not let the tests mount one)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        yield None
        return
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> Path:
    """Fill the disk to the last byte."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as file, contextlib.suppress(OSError):
        while True:
            file.write(b"\0" * 4096)
    return filler


def full_disk_run(reference: dict, output: Path, status: Path):
    glaciers = read_glaciers(str(reference["clip"]))
    return run_batch(
        [str(reference["folder"])], *glaciers, str(output), NO_FLIP, status_csv=str(status)
    )


def no_space(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("full", ["status CSV", "GeoPackage"])
def test_a_full_disk_is_one_line_that_says_the_data_is_kept_and_a_rerun_resumes(
    batch_reference, tmp_path, small_disk, monkeypatch, full
) -> None:
    """On a 1 MiB tmpfs filled to the last byte; where none can be mounted, ENOSPC is raised
    at the status CSV's write instead (the GeoPackage case then needs the tmpfs)."""
    if small_disk is None:
        if full == "GeoPackage":
            pytest.skip("no tmpfs can be mounted here")
        from calfin_qgis.core.batch import output as batch_output

        monkeypatch.setattr(batch_output.csv, "DictWriter", no_space)
    on_disk = small_disk or tmp_path
    output = on_disk / "fronts.gpkg" if full == "GeoPackage" else tmp_path / "fronts.gpkg"
    status = on_disk / "status.csv" if full == "status CSV" else tmp_path / "status.csv"
    if small_disk is not None:
        if full == "GeoPackage":  # begun by an earlier run; then the disk filled up
            BatchOutput(output, reproject_wkt(3413)).close()
        filler = fill(small_disk)
    with pytest.raises(InputError) as raised:
        full_disk_run(batch_reference, output, status)
    message = str(raised.value)
    assert "\n" not in message and message.startswith("The disk is full (")
    assert f"Every job finished so far is kept in {output}" in message
    assert "run the same command again to resume" in message
    # what failed: SQLite's insert into the GeoPackage, or the status CSV's write
    assert ("database or disk is full" if full == "GeoPackage" else "[Errno 28]") in message
    assert not list(on_disk.glob(".*.part*"))  # no half-written file left behind
    assert not lock_path(output).exists()

    if small_disk is not None:
        filler.unlink()
    monkeypatch.undo()
    full_disk_run(batch_reference, output, status)
    assert fronts(output) == fronts(batch_reference["output"])
    assert status_rows(status).keys() == status_rows(batch_reference["status"]).keys()


def test_resuming_a_read_only_output_says_it_is_read_only(batch_reference, tmp_path) -> None:
    folder = tmp_path / "results"
    folder.mkdir()
    output = Path(shutil.copy(batch_reference["output"], folder / "fronts.gpkg"))
    view = tmp_path / "read-only"
    view.mkdir()
    if os.geteuid() == 0:  # root writes through file modes: a read-only mount, as on a share
        mounted = subprocess.run(["mount", "--bind", "-o", "ro", str(folder), str(view)])
        if mounted.returncode != 0:
            pytest.skip("a read-only bind mount is not allowed here")
    else:
        os.chmod(output, 0o444)
        os.chmod(folder, 0o555)
        view.rmdir()
        view.symlink_to(folder)
    try:
        glaciers = read_glaciers(str(batch_reference["clip"]))
        with pytest.raises(InputError, match="read-only") as raised:
            run_batch([str(batch_reference["folder"])], *glaciers, str(view / output.name), NO_FLIP)
        assert "not a calfin batch output" not in str(raised.value)
        assert "resume" in str(raised.value)
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", "-l", str(view)], check=False)
        else:
            os.chmod(folder, 0o755)
    assert fronts(output) == fronts(batch_reference["output"])


def test_a_worker_that_died_and_its_retry_are_in_the_log(tmp_path) -> None:
    log: list[tuple[str, str]] = []
    with killer(tmp_path, "job1", times=1), executors.LocalProcesses(2) as pool:
        pool.log = lambda kind, text: log.append((kind, text))
        outcomes = dict(pool.map(pid_then_sleep, sleepy_jobs(tmp_path, 3, 1.0)))
    assert sorted(outcomes.values()) == ["job0", "job1", "job2"]  # the retry succeeded
    assert any(
        kind == "warning" and "A worker process died" in text and "run again" in text
        for kind, text in log
    )


def test_ctrl_c_in_the_shell_keeps_its_message(batch_reference, tmp_path, capsys) -> None:
    """SIGINT to a run in this process: the handler the CLI installs stops between jobs."""
    output = tmp_path / "fronts.gpkg"
    argv = ["batch", str(batch_reference["folder"]), "--clip", str(batch_reference["clip"])]
    argv += ["--no-flip", "--output", str(output), "--workers", "1"]
    from calfin_qgis.core.batch import runner

    real = runner.detect

    def detect_then_interrupt(job, cancelled):
        os.kill(os.getpid(), signal.SIGINT)
        return real(job, cancelled)

    runner.detect = detect_then_interrupt
    try:
        assert commands.main(argv) == 130
    finally:
        runner.detect = real
    err = capsys.readouterr().err
    assert "stopping on SIGINT (Ctrl-C again to stop at once)" in err
    assert "cancelled: the finished jobs are in the output" in err

"""The batch on real engines: worker processes and a Dask LocalCluster write the layer the
sequential run writes; a worker killed in the middle of a job; a scheduler that does not answer.

``batch_reference`` (tests/conftest.py) is the sequential run (``--workers 1``) of the scenes
and polygons of ``tests/batch_scenes.py``.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time

import pytest
from osgeo import ogr

from calfin_qgis.core.batch import executors
from calfin_qgis.core.batch.glaciers import read_glaciers
from calfin_qgis.core.batch.runner import run_batch
from calfin_qgis.core.cli import commands
from calfin_qgis.core.detect.jobs import DetectJob
from calfin_qgis.core.detect.segmentation import DetectOptions

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def layer_rows(path, name: str) -> list[tuple]:
    """Every feature of a layer of the batch output, all attributes and geometry, sorted."""
    ds = ogr.Open(str(path))
    layer = ds.GetLayerByName(name)
    fields = [f.GetName() for f in layer.schema if f.GetName() != "seconds"]
    rows = []
    for feature in layer:
        geometry = feature.GetGeometryRef()
        rows.append(
            tuple(str(feature[f]) for f in fields) + (geometry.ExportToWkt() if geometry else "",)
        )
    return sorted(rows)


def run_cli(reference, tmp_path, *options: str) -> int:
    argv = ["batch", str(reference["folder"]), "--clip", str(reference["clip"]), "--no-flip"]
    argv += ["--output", str(tmp_path / "fronts.gpkg"), "--status", str(tmp_path / "s.csv")]
    return commands.main(argv + list(options))


@pytest.mark.parametrize(
    "options",
    [("--workers", "2"), ("--scheduler", "local", "--workers", "2")],
    ids=["local", "dask"],
)
def test_parallel_runs_write_the_layer_of_the_sequential_run(batch_reference, tmp_path, options):
    pytest.importorskip("dask.distributed")
    assert run_cli(batch_reference, tmp_path, *options) == 0
    for name in ("fronts", "status"):
        assert layer_rows(tmp_path / "fronts.gpkg", name) == layer_rows(
            batch_reference["output"], name
        )


def kill_a_busy_worker(client, killed: list[int], stop: threading.Event) -> None:
    """SIGKILL the first Dask worker seen running a task (one thread a worker: the task it
    has is the one it runs)."""
    pids = client.run(os.getpid)
    while not stop.is_set() and not killed:
        busy = [address for address, keys in client.processing().items() if keys]
        if busy:
            killed.append(pids[busy[0]])
            os.kill(pids[busy[0]], signal.SIGKILL)
        time.sleep(0.02)


def test_a_dask_worker_killed_in_the_middle_of_a_job_loses_nothing(batch_reference, tmp_path):
    pytest.importorskip("dask.distributed")
    output, killed, stop = tmp_path / "fronts.gpkg", [], threading.Event()
    glaciers = read_glaciers(str(batch_reference["clip"]))
    with executors.open_executor(workers=2, scheduler="local") as pool:
        thread = threading.Thread(target=kill_a_busy_worker, args=(pool.client, killed, stop))
        thread.start()
        try:
            summary = run_batch(
                [str(batch_reference["folder"])],
                *glaciers,
                str(output),
                DetectJob("", DetectOptions(views=1)),
                executor=pool,
            )
        finally:
            stop.set()
            thread.join()
    assert len(killed) == 1
    assert not summary.cancelled
    assert layer_rows(output, "fronts") == layer_rows(batch_reference["output"], "fronts")
    assert layer_rows(output, "status") == layer_rows(batch_reference["output"], "status")


def test_a_scheduler_that_does_not_answer_stops_the_batch_before_any_output(
    batch_reference, tmp_path, monkeypatch, capsys
):
    pytest.importorskip("dask.distributed")
    monkeypatch.setattr(executors, "CONNECT_TIMEOUT", 2.0)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{sock.getsockname()[1]}"
    assert run_cli(batch_reference, tmp_path, "--scheduler", address) == 2
    assert f"No Dask scheduler answers at {address}" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []

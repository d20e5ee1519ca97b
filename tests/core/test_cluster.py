"""A Dask cluster started as README's "Thousands of scenes" starts it: ``dask scheduler`` and
``dask worker`` as separate processes, with and without the package on their path. The
batch checks them on connect and refuses, in one line naming what is missing where, before
any output is opened (issue 24)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.batch_scenes import fronts

pytest.importorskip("distributed")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ROOT = Path(__file__).resolve().parents[2]
DASK = [sys.executable, "-m", "dask"]
HIDE_PACKAGE = """import sys


class Hide:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "calfin_qgis":
            raise ModuleNotFoundError("No module named 'calfin_qgis'", name=name)


sys.meta_path.insert(0, Hide())
"""


def environment(with_package: bool, folder: Path) -> dict[str, str]:
    """With the checkout on PYTHONPATH, as README says; without: calfin_qgis hidden from
    the process and its children (a sitecustomize), since this venv may hold an editable
    install of some checkout."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if with_package:
        return {**env, "PYTHONPATH": str(ROOT)}
    hide = folder / "hide"
    hide.mkdir(exist_ok=True)
    (hide / "sitecustomize.py").write_text(HIDE_PACKAGE)
    return {**env, "PYTHONPATH": str(hide)}


@contextmanager
def cluster(folder: Path, scheduler_has_it: bool, worker_has_it: bool) -> Iterator[str]:
    """A scheduler and one single-thread worker, each its own process started in an empty
    folder (so the checkout is not on their path by accident); yields the address."""
    folder.mkdir()
    info = folder / "scheduler.json"
    started = []
    try:
        started.append(
            subprocess.Popen(
                [*DASK, "scheduler", "--scheduler-file", info, "--port", "0", "--no-dashboard"],
                cwd=folder,
                env=environment(scheduler_has_it, folder),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        end = time.monotonic() + 120
        while not info.exists() and time.monotonic() < end:
            time.sleep(0.2)
        address = json.loads(info.read_text())["address"]
        started.append(
            subprocess.Popen(
                [*DASK, "worker", address, "--nthreads", "1", "--no-dashboard"],
                cwd=folder,
                env=environment(worker_has_it, folder),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        # asked from another process: this one (QGIS loaded) keeps no Dask client threads
        wait = "import sys, distributed\nwith distributed.Client(sys.argv[1], timeout=60) as c:\n"
        wait += "    c.wait_for_workers(1, timeout=120)\n"
        subprocess.run([sys.executable, "-c", wait, address], check=True, timeout=300)
        yield address
    finally:
        for process in reversed(started):
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def batch(reference: dict, output: Path, address: str) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "calfin_qgis.core", "batch", str(reference["folder"])]
    argv += ["--clip", str(reference["clip"]), "--no-flip", "--output", str(output)]
    argv += ["--scheduler", address]
    return subprocess.run(
        argv, cwd=ROOT, env=environment(True, ROOT), capture_output=True, text=True, timeout=600
    )


@pytest.mark.parametrize(
    ("scheduler_has_it", "worker_has_it", "missing"),
    [(False, True, "the scheduler"), (True, False, "worker tcp://")],
    ids=["scheduler without the package", "worker without the package"],
)
def test_a_cluster_that_cannot_import_the_package_is_refused_in_one_line(
    batch_reference, tmp_path, scheduler_has_it, worker_has_it, missing
) -> None:
    output = tmp_path / "fronts.gpkg"
    with cluster(tmp_path / "cluster", scheduler_has_it, worker_has_it) as address:
        run = batch(batch_reference, output, address)
    assert run.returncode == 2, run.stderr
    (line,) = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert f"The Dask cluster at {address} cannot run calfin jobs: {missing}" in line
    assert "cannot import calfin_qgis (No module named 'calfin_qgis')" in line
    assert "PYTHONPATH=" in line and "Traceback" not in run.stderr
    assert not output.exists()  # refused before any output was opened


def test_a_cluster_started_as_the_readme_says_runs_the_batch(batch_reference, tmp_path) -> None:
    output = tmp_path / "fronts.gpkg"
    with cluster(tmp_path / "cluster", True, True) as address:
        run = batch(batch_reference, output, address)
    assert run.returncode == 0, run.stderr
    assert f"Jobs run on the Dask scheduler at {address}" in run.stderr
    assert fronts(output) == fronts(batch_reference["output"])


def test_another_package_version_is_named_with_both_versions() -> None:
    from calfin_qgis.core.batch.cluster_check import JOB_MODULE, problems

    here = {JOB_MODULE: "", "numpy": "1.26.4", "shapely": "2.0.7"}
    there = {JOB_MODULE: "", "numpy": "1.24.4", "shapely": "missing: No module named 'shapely'"}
    assert problems("worker tcp://10.0.0.7:40351", there, here) == [
        "worker tcp://10.0.0.7:40351 has numpy 1.24.4, this machine 1.26.4",
        "worker tcp://10.0.0.7:40351 cannot import shapely (No module named 'shapely')",
    ]

"""Shared fixtures: real headless QGIS (pytest-qgis), the loaded plugin, sample data."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SAMPLE_SCENE = DATA / "LE07_L1TP_009011_20010707_20170204_01_T1_B2_Subset.tif"
SAMPLE_FRONT = DATA / "LE07_L1TP_009011_20010707_20170204_01_T1_B2_Front.gpkg"
SAMPLE_CLIP = DATA / "jakobshavn_isbrae.gpkg"


def pytest_sessionfinish(session, exitstatus) -> None:
    session.config.calfin_exit_status = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config) -> None:
    """Leave with pytest's own exit status once everything is reported and cleaned up.

    In full runs (not in any subset tried) the interpreter crashed while finalizing, after
    every test had passed and the summary was printed: a segfault with no Python frame in
    the main thread, QGIS's and Qt's C++ objects being torn down (seen 2026-12-06 with
    ``-X faulthandler``; not reproduced in subsets). Nothing of the tests is lost by not
    finalizing: their files are closed and QGIS has exited (pytest-qgis)."""
    status = getattr(config, "calfin_exit_status", None)
    if status is not None:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


@pytest.fixture(scope="session")
def plugin(qgis_app, qgis_processing, qgis_iface):
    """The plugin loaded through classFactory, as QGIS does; unloaded at the end."""
    import calfin_qgis

    instance = calfin_qgis.classFactory(qgis_iface)
    instance.initGui()
    yield instance
    instance.unload()


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The shipped model (or $CALFIN_MODEL); tests that need one skip, clearly, without it."""
    from calfin_qgis.core.network.model import default_model_path

    path = default_model_path()
    if not path.exists():
        pytest.skip(
            f"no calfin model found ({path}); ship model/calfin_unet.onnx or set CALFIN_MODEL"
        )
    return path


@pytest.fixture()
def sample_scene(tmp_path: Path) -> Path:
    """A private copy of the sample scene, so that tests cannot touch the shipped one."""
    return Path(shutil.copy(SAMPLE_SCENE, tmp_path / SAMPLE_SCENE.name))


@pytest.fixture(scope="session")
def batch_reference(tmp_path_factory, model_path) -> dict[str, Path]:
    """An uninterrupted batch run, in this process, of ``tests/batch_scenes.py``'s scenes and
    polygons through the shell's entry point (``python -m calfin_qgis.core batch``): the
    folder, the polygons, the fronts GeoPackage and the status CSV."""
    from calfin_qgis.core.cli import commands
    from tests.batch_scenes import glacier_polygons, scene_folder

    root = tmp_path_factory.mktemp("batch")
    paths = {
        "folder": scene_folder(root / "scenes"),
        "clip": glacier_polygons(root / "glaciers.gpkg"),
        "output": root / "fronts.gpkg",
        "status": root / "status.csv",
    }
    argv = ["batch", str(paths["folder"]), "--clip", str(paths["clip"]), "--no-flip"]
    argv += ["--output", str(paths["output"]), "--status", str(paths["status"])]
    argv += ["--workers", "1"]  # sequential: the reference of the parallel runs
    assert commands.main(argv) == 0
    return paths

"""Shared fixtures: real headless QGIS (pytest-qgis), the loaded plugin, sample data."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from qgis.PyQt import sip

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SAMPLE_SCENE = DATA / "LE07_L1TP_009011_20010707_20170204_01_T1_B2_Subset.tif"
SAMPLE_FRONT = DATA / "LE07_L1TP_009011_20010707_20170204_01_T1_B2_Front.gpkg"
SAMPLE_CLIP = DATA / "jakobshavn_isbrae.gpkg"


@pytest.fixture(scope="session", autouse=True)
def no_layer_outlives_qgis(qgis_app):
    """Frees, before pytest-qgis's ``qgis_app`` calls ``exitQgis()``, the layers that QGIS's
    leaked processing exceptions keep alive (``tests/qgis_exit.py``): deleted after QGIS
    exited, in the interpreter's finalization, an OGR layer crashed it (rc 139 after every
    test passed). A layer still held otherwise fails the run by name instead."""
    from tests.qgis_exit import python_owned_layers, release_leaked_processing_frames

    yield
    release_leaked_processing_frames()
    left = python_owned_layers()
    if left:
        names = [f"{layer.name()!r} ({layer.source()})" for layer in left]
        for layer in left:
            sip.delete(layer)
        pytest.fail(f"Python-owned layers would outlive QGIS: {', '.join(names)}")


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

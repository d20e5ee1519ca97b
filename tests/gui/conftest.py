"""A multi-front layer (copied from the sample front) and a review dock on the pytest-qgis iface."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import pytest
from osgeo import ogr
from qgis.core import QgsProject, QgsVectorLayer

from tests.conftest import SAMPLE_FRONT, SAMPLE_SCENE

SCENE_ID = SAMPLE_SCENE.stem
# Extra fronts: (image_id, date, qual_flag, confidence, WKT). Fid 1 is the sample's manual front.
EXTRA_FRONTS = (
    (
        SCENE_ID,
        datetime.date(2001, 7, 7),
        10,
        0.8,
        "LINESTRING (-188000 -2270000, -182000 -2270000)",
    ),
    (
        "LT05_L1TP_008011_19971001_20161229_01_T1_B2_Subset",
        datetime.date(1997, 10, 1),
        13,
        0.3,
        "LINESTRING (-188000 -2266000, -184000 -2266000)",
    ),
    (
        SCENE_ID,
        datetime.date(2003, 8, 1),
        10,
        0.9,
        "LINESTRING (-187000 -2275000, -183000 -2275000)",
    ),
)


def read_on_disk(path: Path) -> dict[int, dict]:
    """Attributes and WKT per fid, read with OGR straight from the file."""
    ds = ogr.Open(str(path))
    out = {}
    for feature in ds.GetLayer(0):
        values = feature.items()
        values["wkt"] = feature.GetGeometryRef().ExportToWkt()
        out[feature.GetFID()] = values
    return out


@pytest.fixture()
def fronts_path(tmp_path: Path) -> Path:
    path = Path(shutil.copy(SAMPLE_FRONT, tmp_path / "fronts.gpkg"))
    ds = ogr.Open(str(path), 1)
    layer = ds.GetLayer(0)
    for image_id, day, flag, confidence, wkt in EXTRA_FRONTS:
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetField("glacier_id", "jakobshavn_isbrae")
        feature.SetField("image_id", image_id)
        feature.SetField("date", day.year, day.month, day.day, 0, 0, 0, 0)
        feature.SetField("qual_flag", flag)
        feature.SetField("confidence", confidence)
        feature.SetField("length_m", 0.0)
        feature.SetField("source", "test")
        feature.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
        layer.CreateFeature(feature)
    ds = None
    return path


@pytest.fixture()
def scenes_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "scenes"
    folder.mkdir()
    shutil.copy(SAMPLE_SCENE, folder / SAMPLE_SCENE.name)
    return folder


@pytest.fixture()
def fronts_layer(qgis_new_project, fronts_path: Path) -> QgsVectorLayer:
    layer = QgsVectorLayer(str(fronts_path), "fronts", "ogr")
    assert layer.isValid() and layer.featureCount() == 4
    QgsProject.instance().addMapLayer(layer)
    yield layer
    if layer.isEditable():
        layer.rollBack()


def reviewing(dock, layer: QgsVectorLayer):
    """``dock`` reviewing ``layer``, added to the project (the ``dock`` fixture's teardown
    discards unsaved edits)."""
    QgsProject.instance().addMapLayer(layer)
    dock.set_front_layer(layer)
    return dock


@pytest.fixture()
def dock(qgis_iface, fronts_layer):
    from calfin_qgis.gui.review_dock import ReviewDock

    dock = ReviewDock(qgis_iface, parent=qgis_iface.mainWindow())
    dock.set_reviewer("tester", remember=False)
    dock.set_front_layer(fronts_layer)
    yield dock
    if dock.has_unsaved_edits:
        dock.discard()
    dock.close()
    dock.deleteLater()

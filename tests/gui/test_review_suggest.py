"""The dock's scenes to correct (real QGIS widgets, offscreen): a batch output's suggested
scenes listed, one with a front reviewed where it is, one without a front drawn on its
scene as a new front (undoable, on disk only after Save), a layer of no batch disabled."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import shapely
from osgeo import ogr, osr
from qgis.core import NULL, Qgis, QgsProject, QgsRasterLayer, QgsVectorLayer
from qgis.PyQt.QtCore import QDate

from calfin_qgis.core.products.naming import scene_date
from calfin_qgis.gui.review_model import REDRAWN
from calfin_qgis.gui.review_suggest import DONE_MARK
from tests.batch_outputs import add_screens, write_batch
from tests.conftest import SAMPLE_SCENE
from tests.gui.conftest import SCENE_ID, reviewing

GLACIER = "jakobshavn_isbrae"
EARLIER = "LT05_L1TP_008011_19970929_20161229_01_T1_B2"
LATER = "LE07_L1TP_009011_20030801_20170204_01_T1_B2"
# image_id -> front (WKT) or None where the batch found no front; the sample scene has none.
SCENES = {
    EARLIER: "LINESTRING (-188000 -2266000, -184000 -2266000)",
    SCENE_ID: None,
    LATER: "LINESTRING (-187000 -2275000, -183000 -2275000)",
}


def fronts_on_disk(path: Path) -> list[str]:
    ds = ogr.Open(str(path))
    return [f["image_id"] for f in ds.GetLayerByName("fronts")]


@pytest.fixture()
def batch_path(tmp_path: Path) -> Path:
    """A batch output (fronts with ``screen``, status table) whose sample scene has no front;
    its status row names a real GeoTIFF copy of the sample scene as the source."""
    source = Path(shutil.copy(SAMPLE_SCENE, tmp_path / SAMPLE_SCENE.name))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(3413)
    jobs = []
    for image_id, wkt in SCENES.items():
        fronts = []
        if wkt:
            fronts = [
                {
                    "image_id": image_id,
                    "glacier_id": GLACIER,
                    "date": scene_date(image_id),
                    "qual_flag": 10,
                    "confidence": 0.8,
                    "uncertainty_m": 60.0,
                    "geometry": shapely.from_wkt(wkt),
                }
            ]
        row = {"image_id": image_id, "glacier_id": GLACIER, "source": str(source)}
        jobs.append(({**row, "status": "ok" if fronts else "no front"}, fronts))
    path = write_batch(tmp_path / "batch.gpkg", srs.ExportToWkt(), jobs)
    add_screens(path, lambda feature: "ok")
    return path


@pytest.fixture()
def batch_dock(dock, batch_path):
    layer = QgsVectorLayer(f"{batch_path}|layername=fronts", "batch fronts", "ogr")
    assert layer.isValid() and layer.featureCount() == 2
    return reviewing(dock, layer)


def draw_line(dock) -> list:
    """Two clicks and a right click with the redraw tool; the clicked map points."""
    from qgis.gui import QgsMapMouseEvent
    from qgis.PyQt.QtCore import QEvent, QPoint, Qt

    tool = dock.redraw_tool
    # Before the clicks: adding the front zooms to it.
    points = [tool.toMapCoordinates(QPoint(10, 10)), tool.toMapCoordinates(QPoint(50, 30))]
    for x, y, button in ((10, 10, Qt.LeftButton), (50, 30, Qt.LeftButton), (0, 0, Qt.RightButton)):
        event = QgsMapMouseEvent(
            dock.canvas, QEvent.MouseButtonRelease, QPoint(x, y), button, button, Qt.NoModifier
        )
        tool.canvasReleaseEvent(event)
    return points


def test_suggested_scenes_are_listed_and_one_with_a_front_is_reviewed_there(batch_dock):
    dock = batch_dock
    assert [s.image_id for s in dock.suggestions] == [EARLIER, SCENE_ID, LATER]
    combo = dock.suggest_combo
    assert combo.isEnabled() and combo.count() == 4
    assert combo.itemText(0) == "3 scene(s) to correct…"
    assert combo.itemText(2) == f"2001-07-07 {GLACIER}: no front found"
    assert dock.open_suggestion(2)
    assert dock.layer.getFeature(dock.current_fid)["image_id"] == LATER
    assert dock.canvas.mapTool() is not dock.redraw_tool
    dock.set_screened_filter(True)  # no front is screened: the filters hide them all
    assert not dock.open_suggestion(0)
    info = dock.iface.messageBar().get_messages(Qgis.Info)
    assert any("hidden by the filters" in text for text in info)


def test_a_scene_without_a_front_gets_one_drawn_on_it(batch_dock, batch_path, qgis_iface):
    dock = batch_dock
    qgis_iface.messageBar().clear_messages()
    assert dock.open_suggestion(1)
    assert dock.canvas.mapTool() is dock.redraw_tool
    scenes = [
        lyr for lyr in QgsProject.instance().mapLayers().values() if isinstance(lyr, QgsRasterLayer)
    ]
    assert [s.name() for s in scenes] == [SCENE_ID]
    # Zoomed to the glacier: its fronts of the nearest dates, before and after, in view.
    extent = dock.canvas.extent()
    for fid in dock.queue.view:
        assert extent.contains(dock.layer.getFeature(fid).geometry().boundingBox())
    drawn = draw_line(dock)
    assert qgis_iface.messageBar().get_messages(Qgis.Critical) == []
    assert dock.layer.featureCount() == 3
    new = dock.layer.getFeature(dock.current_fid)
    assert new.geometry().asPolyline() == drawn
    assert (new["image_id"], new["glacier_id"], new["date"]) == (
        SCENE_ID,
        GLACIER,
        QDate(2001, 7, 7),
    )
    assert (new["qual_flag"], new["status"], new["reviewed"]) == (0, REDRAWN, 1)
    assert new["reviewer"] == "tester" and new["reviewed_at"] != NULL
    assert new["screen"] == "reviewed" and new["length_m"] > 0
    assert dock.canvas.mapTool() is not dock.redraw_tool
    assert dock.suggest_combo.itemText(2).startswith(DONE_MARK)
    assert fronts_on_disk(batch_path) == [EARLIER, LATER]  # only in the edit buffer
    dock.undo()
    assert dock.layer.featureCount() == 2
    assert SCENE_ID not in {f["image_id"] for f in dock.layer.getFeatures()}
    assert not dock.suggest_combo.itemText(2).startswith(DONE_MARK)


def test_saved_drawn_front_leaves_the_suggestions(batch_dock, batch_path):
    dock = batch_dock
    assert dock.open_suggestion(1)
    draw_line(dock)
    assert dock.open_suggestion(1)  # now it has a front: go there, no drawing
    assert dock.layer.getFeature(dock.current_fid)["image_id"] == SCENE_ID
    assert dock.canvas.mapTool() is not dock.redraw_tool
    assert dock.save()
    assert sorted(fronts_on_disk(batch_path)) == sorted([EARLIER, LATER, SCENE_ID])
    assert [s.image_id for s in dock.suggestions] == [EARLIER, LATER]  # decided on


def test_a_layer_of_no_batch_disables_the_scenes_to_correct(dock):
    assert not dock.suggest_combo.isEnabled()
    assert "not the fronts layer of a batch output" in dock.suggest_combo.toolTip()
    assert dock.suggestions == []


def test_scene_not_at_its_source_is_found_in_the_scenes_folder(batch_dock, batch_path, scenes_dir):
    """The batch's source moved: the dock says so, then finds the scene in its folder; the
    box's own choice starts the drawing."""
    dock = batch_dock
    ds = ogr.Open(str(batch_path), 1)
    ds.ExecuteSQL("UPDATE status SET source = '/moved/away.tif'")
    ds = None
    dock.refresh_suggestions()
    assert not dock.open_suggestion(1)
    assert (
        "No scene found" in dock.note_label.text() and "/moved/away.tif" in dock.note_label.text()
    )
    assert dock.canvas.mapTool() is not dock.redraw_tool
    dock.set_scene_folder(scenes_dir)
    dock.suggest_combo.activated.emit(2)  # the labeller picks the scene without a front
    assert dock.canvas.mapTool() is dock.redraw_tool
    assert dock.suggest_combo.currentIndex() == 0
    draw_line(dock)
    assert dock.layer.getFeature(dock.current_fid)["image_id"] == SCENE_ID

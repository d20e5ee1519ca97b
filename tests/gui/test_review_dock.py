"""The review dock on real QGIS widgets (offscreen): review, undo, save, close, exports."""

from __future__ import annotations

import datetime

import numpy as np
from osgeo import gdal
from qgis.core import NULL, QgsGeometry, QgsPointXY, QgsProject, QgsRasterLayer, QgsVectorLayer
from qgis.PyQt.QtCore import Qt

from calfin_qgis.gui.review_display import ZOOM_FACTOR
from calfin_qgis.gui.review_dock import UnsavedChoice
from calfin_qgis.gui.review_model import ACCEPTED, EDITED, REDRAWN, REJECTED, UNREVIEWED
from tests.gui.conftest import SCENE_ID, read_on_disk


def test_dock_lists_fronts_and_progress(dock, fronts_layer) -> None:
    assert dock.layer is fronts_layer
    assert dock.queue.view == [1, 2, 3, 4]
    assert dock.current_fid == 1
    assert dock.progress_label.text().startswith("0 of 4 reviewed")
    seen = []
    dock.currentFrontChanged.connect(seen.append)
    dock.set_sort("confidence")
    assert dock.queue.view == [3, 2, 4, 1]
    assert not dock.next_front() and dock.previous_front() and dock.current_fid == 4
    dock.set_qual_filter({13})
    assert dock.queue.view == [3] and dock.current_fid == 3
    assert seen == [4, 3]  # sorting kept fid 1 current
    dock.status_combo.setItemCheckState(dock.status_combo.findData(ACCEPTED), Qt.Checked)
    assert dock.queue.view == [] and dock.current_fid is None and seen == [4, 3, -1]


def test_filter_widgets_take_several_values(dock) -> None:
    for flag in (10, 13):  # automatic picks, both confidence classes
        dock.qual_combo.setItemCheckState(dock.qual_combo.findData(flag), Qt.Checked)
    assert dock.queue.view == [2, 3, 4]
    for status in (UNREVIEWED, ACCEPTED):
        dock.status_combo.setItemCheckState(dock.status_combo.findData(status), Qt.Checked)
    assert dock.queue.view == [2, 3, 4]
    dock.status_combo.setItemCheckState(dock.status_combo.findData(UNREVIEWED), Qt.Unchecked)
    assert dock.queue.view == []
    dock.status_combo.deselectAllOptions()
    dock.qual_combo.deselectAllOptions()
    assert dock.queue.view == [1, 2, 3, 4]  # nothing checked: all


def test_review_writes_nothing_to_disk_until_save(dock, fronts_layer, fronts_path) -> None:
    before = read_on_disk(fronts_path)
    reviewed, progress = [], []
    dock.frontReviewed.connect(lambda fid, status: reviewed.append((fid, status)))
    dock.progressChanged.connect(lambda n, total: progress.append((n, total)))
    assert dock.accept_current()  # fid 1, then moves on to 2
    assert dock.current_fid == 2
    assert dock.reject_current()
    dock.go_to(4)
    new_line = QgsGeometry.fromWkt("LINESTRING (-187000 -2274000, -185000 -2276000)")
    assert dock.redraw_current(new_line)
    assert reviewed == [(1, ACCEPTED), (2, REJECTED), (4, REDRAWN)]
    assert progress[-1] == (3, 4)
    assert dock.progress_label.text().startswith("3 of 4 reviewed (1 unreviewed, 1 accepted")
    assert fronts_layer.isModified()

    on_disk = read_on_disk(fronts_path)
    assert {k: {f: v for f, v in d.items() if f in before[k]} for k, d in on_disk.items()} == before
    assert all(values["status"] is None for values in on_disk.values())

    assert dock.save()
    assert not fronts_layer.isEditable()
    saved = read_on_disk(fronts_path)
    assert (saved[1]["status"], saved[1]["qual_flag"], saved[1]["reviewed"]) == (ACCEPTED, 0, 1)
    assert (saved[2]["status"], saved[2]["qual_flag"], saved[2]["reviewed"]) == (REJECTED, 10, 1)
    assert (saved[4]["status"], saved[4]["qual_flag"]) == (REDRAWN, 0)
    assert saved[4]["wkt"] == "LINESTRING (-187000 -2274000,-185000 -2276000)"
    assert saved[4]["length_m"] == np.hypot(2000, 2000)
    assert saved[3]["status"] is None and saved[3]["wkt"] == before[3]["wkt"]
    assert saved[1]["reviewer"] == "tester"
    stamp = datetime.datetime.fromisoformat(saved[1]["reviewed_at"])
    assert abs(stamp - datetime.datetime.now().astimezone()).total_seconds() < 60


def test_undo_reverts_status_and_geometry(dock, fronts_layer) -> None:
    original = fronts_layer.getFeature(2).geometry().asWkt()
    dock.go_to(2)
    dock.accept_current()
    dock.go_to(2)
    dock.edit_current(QgsGeometry.fromWkt("LINESTRING (-188000 -2270000, -185000 -2270000)"))
    feature = fronts_layer.getFeature(2)
    assert (feature["status"], feature["qual_flag"]) == (EDITED, 3)
    assert feature["length_m"] == 3000
    dock.undo()
    feature = fronts_layer.getFeature(2)
    assert (feature["status"], feature["qual_flag"]) == (ACCEPTED, 10)
    assert feature.geometry().asWkt() == original
    assert dock.queue.record(2).status == ACCEPTED
    dock.undo()
    assert dock.queue.record(2).status == UNREVIEWED
    assert dock.progress_label.text().startswith("0 of 4 reviewed")


def test_trim_keeps_the_longer_part_and_marks_edited(dock, fronts_layer, fronts_path) -> None:
    dock.go_to(2)  # -188000..-182000 along y = -2270000, an auto pick (10)
    assert dock.trim_current(QgsGeometry.fromPointXY(QgsPointXY(-186500, -2269990)))
    assert dock.trim_current(
        QgsGeometry.fromPointXY(QgsPointXY(-183000, -2270000)), QgsPointXY(-182500, -2270000)
    )
    assert dock.save()
    saved = read_on_disk(fronts_path)[2]
    assert saved["wkt"] == "LINESTRING (-183000 -2270000,-182000 -2270000)"
    assert (saved["status"], saved["qual_flag"], saved["length_m"]) == (EDITED, 3, 1000)


def test_qgis_vertex_edit_marks_front_edited_in_the_same_undo_step(
    dock, fronts_layer, qgis_iface
) -> None:
    dock.go_to(3)
    assert dock.edit_vertices_current()
    assert fronts_layer.isEditable() and fronts_layer.selectedFeatureIds() == [3]
    assert qgis_iface.activeLayer() is fronts_layer
    qgis_iface.actionVertexTool().trigger.assert_called()
    # What QGIS's vertex tool does to the layer: one edit command moving a vertex.
    fronts_layer.beginEditCommand("Moved vertex")
    fronts_layer.moveVertex(-184000, -2266500, 3, 1)
    fronts_layer.endEditCommand()
    feature = fronts_layer.getFeature(3)
    assert (feature["status"], feature["qual_flag"]) == (EDITED, 3)
    assert fronts_layer.undoStack().count() == 1
    dock.undo()
    feature = fronts_layer.getFeature(3)
    assert feature["status"] == NULL and dock.queue.record(3).status == UNREVIEWED
    assert feature.geometry().asWkt() == "LineString (-188000 -2266000, -184000 -2266000)"


def test_canvas_zooms_to_front_and_shows_its_scene_beneath(dock, fronts_layer, scenes_dir):
    dock.set_scene_folder(scenes_dir)
    dock.go_to(2)
    extent = dock.canvas.extent()
    box = fronts_layer.getFeature(2).geometry().boundingBox()
    assert extent.contains(box)
    assert extent.center().distance(box.center()) < 1
    # Context around the 6 km front: both fjord walls and the ocean, not just the line.
    assert min(extent.width(), extent.height()) == 6000 * ZOOM_FACTOR
    rasters = [
        lyr for lyr in QgsProject.instance().mapLayers().values() if isinstance(lyr, QgsRasterLayer)
    ]
    assert [r.name() for r in rasters] == [SCENE_ID]
    order = [node.layer() for node in QgsProject.instance().layerTreeRoot().findLayers()]
    assert order == [fronts_layer, rasters[0]]
    dock.go_to(4)  # same scene: not loaded twice
    assert len(QgsProject.instance().mapLayers()) == 2


def test_close_asks_only_with_unsaved_edits(dock, fronts_layer, fronts_path) -> None:
    questions = []

    def answer(choice):
        def ask():
            questions.append(choice)
            return choice

        return ask

    dock.show()
    dock.ask_unsaved = answer(UnsavedChoice.CANCEL)
    dock.accept_current()
    assert not dock.close() and not dock.isHidden() and fronts_layer.isModified()
    dock.ask_unsaved = answer(UnsavedChoice.SAVE)
    assert dock.close()
    assert questions == [UnsavedChoice.CANCEL, UnsavedChoice.SAVE]
    assert read_on_disk(fronts_path)[1]["status"] == ACCEPTED
    # Closed: tools and layer signals are released; a later edit no longer reaches the dock.
    assert dock.canvas.mapTool() is None
    fronts_layer.startEditing()
    fronts_layer.changeAttributeValue(2, fronts_layer.fields().indexOf("status"), REJECTED)
    assert dock.queue.record(2).status == UNREVIEWED
    fronts_layer.rollBack()
    assert dock.close()  # nothing unsaved: no question
    assert len(questions) == 2


def test_headless_close_keeps_edits_in_the_buffer_without_asking(dock, fronts_layer) -> None:
    dock.start_redraw()
    assert dock.canvas.mapTool() is dock.redraw_tool
    dock.reject_current()
    assert dock.close()
    assert dock.canvas.mapTool() is None
    assert fronts_layer.isModified()
    assert fronts_layer.getFeature(1)["status"] == REJECTED


def test_export_fronts_and_label_images(dock, fronts_layer, scenes_dir, tmp_path) -> None:
    dock.set_scene_folder(scenes_dir)
    dock.go_to(2)
    dock.accept_current()  # scene SCENE_ID, y = -2270000 → row 125, x → cols 25..175
    dock.go_to(3)
    dock.accept_current()  # a scene that is not in the folder
    dock.go_to(4)
    dock.reject_current()

    assert dock.export_fronts(tmp_path / "reviewed.gpkg") == 2
    exported = QgsVectorLayer(str(tmp_path / "reviewed.gpkg"), "x", "ogr")
    assert sorted(f["qual_flag"] for f in exported.getFeatures()) == [10, 13]
    assert {f["status"] for f in exported.getFeatures()} == {ACCEPTED}

    result = dock.export_labels(tmp_path / "train")
    name = "LE07_L1TP_009011_20010707_20170204_01_T1_B2_Front.png"
    assert result.written == [
        tmp_path / "train" / "labels" / name,
        tmp_path / "train" / "labels_1px" / name,
    ]
    assert result.missing_scenes == ["LT05_L1TP_008011_19971001_20161229_01_T1_B2_Subset"]
    thin = gdal.Open(str(result.written[1])).ReadAsArray()
    thick = gdal.Open(str(result.written[0])).ReadAsArray()
    assert thin.shape == thick.shape == (300, 200)
    rows, cols = np.nonzero(thin == 0)
    assert set(rows) == {125} and (cols.min(), cols.max()) == (25, 175)
    assert set(np.unique(thin)) == {0, 255}
    assert set(np.nonzero(thick == 0)[0]) == {124, 125, 126}


def test_redraw_tool_clicks_replace_the_current_front(dock, fronts_layer, qgis_iface) -> None:
    from qgis.gui import QgsMapMouseEvent
    from qgis.PyQt.QtCore import QEvent, QPoint, Qt

    qgis_iface.messageBar().clear_messages()
    dock.go_to(3)
    dock.start_redraw()
    tool = dock.redraw_tool
    for x, y, button in ((10, 10, Qt.LeftButton), (50, 30, Qt.LeftButton), (0, 0, Qt.RightButton)):
        event = QgsMapMouseEvent(
            dock.canvas, QEvent.MouseButtonRelease, QPoint(x, y), button, button, Qt.NoModifier
        )
        tool.canvasReleaseEvent(event)
    assert critical_messages(qgis_iface) == []  # a refused write names its cause
    feature = fronts_layer.getFeature(3)
    expected = [tool.toMapCoordinates(QPoint(10, 10)), tool.toMapCoordinates(QPoint(50, 30))]
    assert feature.geometry().asPolyline() == expected
    assert (feature["status"], feature["qual_flag"]) == (REDRAWN, 0)
    assert tool.points == []


def test_export_asks_about_unsaved_edits_first(
    dock, fronts_layer, fronts_path, tmp_path, monkeypatch
) -> None:
    from qgis.PyQt.QtWidgets import QFileDialog

    out = tmp_path / "reviewed.gpkg"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_args: (str(out), "*.gpkg"))
    dock.go_to(2)
    dock.accept_current()
    dock.ask_unsaved = lambda: UnsavedChoice.CANCEL
    dock.actions["export_fronts"].trigger()
    assert not out.exists() and fronts_layer.isModified()
    dock.ask_unsaved = lambda: UnsavedChoice.SAVE
    dock.actions["export_fronts"].trigger()
    assert not fronts_layer.isModified()
    assert read_on_disk(fronts_path)[2]["status"] == ACCEPTED  # saved before the export
    exported = QgsVectorLayer(str(out), "x", "ogr")
    assert [f["status"] for f in exported.getFeatures()] == [ACCEPTED]


def snap_to_vertices(dock, layers, request):
    """Vertex snapping on ``layers`` (as Project › Snapping Options would set it)."""
    from qgis.core import QgsSnappingConfig, QgsTolerance

    config = QgsSnappingConfig(QgsProject.instance())
    config.setEnabled(True)
    config.setMode(QgsSnappingConfig.AllLayers)
    config.setTypeFlag(QgsSnappingConfig.VertexFlag)
    config.setTolerance(12)
    config.setUnits(QgsTolerance.Pixels)
    utils = dock.canvas.snappingUtils()  # QGIS copies the project's options into it
    previous = utils.config()
    utils.setConfig(config)
    request.addfinalizer(lambda: utils.setConfig(previous))
    dock.canvas.setLayers(layers)
    return utils


def test_redraw_snaps_as_the_project_snapping_options_say(dock, fronts_layer, request) -> None:
    from qgis.gui import QgsMapMouseEvent
    from qgis.PyQt.QtCore import QEvent, QPoint

    utils = snap_to_vertices(dock, [fronts_layer], request)
    dock.go_to(3)
    dock.start_redraw()
    tool = dock.redraw_tool
    vertex = QgsPointXY(-188000, -2266000)  # the start of front 3
    # Events snap "relaxed" (never waiting for an index); moving the cursor builds it in
    # the background. Here it is built at once.
    assert utils.snapToMap(vertex).isValid()
    near = tool.toCanvasCoordinates(vertex) + QPoint(5, -4)
    far = near + QPoint(60, 20)
    for pos, button in ((near, Qt.LeftButton), (far, Qt.LeftButton), (far, Qt.RightButton)):
        event = QgsMapMouseEvent(
            dock.canvas, QEvent.MouseButtonRelease, pos, button, button, Qt.NoModifier
        )
        tool.canvasReleaseEvent(event)
    line = fronts_layer.getFeature(3).geometry().asPolyline()
    assert line[0] == vertex  # snapped
    assert line[1] == tool.toMapCoordinates(far)  # nothing in reach: where clicked


def test_trim_cut_point_snaps(dock, fronts_layer, request) -> None:
    from qgis.core import QgsFeature
    from qgis.gui import QgsMapMouseEvent
    from qgis.PyQt.QtCore import QEvent, QPoint

    marks = QgsVectorLayer("Point?crs=EPSG:3413", "marks", "memory")
    mark = QgsFeature()
    mark.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(-185000, -2270000)))  # on front 2
    marks.dataProvider().addFeatures([mark])
    QgsProject.instance().addMapLayer(marks)
    request.addfinalizer(lambda: QgsProject.instance().removeMapLayer(marks.id()))
    utils = snap_to_vertices(dock, [marks, fronts_layer], request)
    dock.go_to(2)
    assert utils.snapToMap(QgsPointXY(-185000, -2270000)).isValid()  # index built
    dock.start_trim()
    tool = dock.trim_tool
    cuts = []
    tool.trimRequested.connect(lambda cutter, keep: cuts.append((cutter, keep)))
    pos = tool.toCanvasCoordinates(QgsPointXY(-185000, -2270000)) + QPoint(4, 3)
    button = Qt.LeftButton
    press = QgsMapMouseEvent(dock.canvas, QEvent.MouseButtonPress, pos, button, button)
    tool.canvasPressEvent(press)
    release = QgsMapMouseEvent(dock.canvas, QEvent.MouseButtonRelease, pos, button, button)
    tool.canvasReleaseEvent(release)
    ((cutter, keep),) = cuts
    assert cutter.asPoint() == QgsPointXY(-185000, -2270000) and keep is None  # a click


# --- layers the review cannot write, and other traps found by an adversarial run ----------


def critical_messages(qgis_iface) -> list[str]:
    from qgis.core import Qgis

    return qgis_iface.messageBar().get_messages(Qgis.Critical)


def test_read_only_layer_is_refused_with_the_fix(dock, qgis_iface, fronts_path, tmp_path):
    """No fields written, no traceback, no crash: a message that says to save a copy."""
    csv = tmp_path / "fronts.csv"
    csv.write_text('wkt,image_id\n"LINESTRING (0 0, 1000 0)",a\n')
    uri = f"file://{csv}?delimiter=,&wktField=wkt&crs=EPSG:3413"
    read_only = QgsVectorLayer(str(fronts_path), "locked", "ogr")
    read_only.setReadOnly(True)
    for layer in (QgsVectorLayer(uri, "csv fronts", "delimitedtext"), read_only):
        assert layer.isValid()
        QgsProject.instance().addMapLayer(layer)
        qgis_iface.messageBar().clear_messages()
        dock.set_front_layer(layer)
        assert not dock.accept_current() and not dock.reject_current()
        messages = critical_messages(qgis_iface)
        assert len(messages) == 2  # one per refused action
        assert all(layer.name() in m and "Save a copy as GeoPackage" in m for m in messages)
        assert "reviewed" not in layer.fields().names()
    assert "status" not in read_on_disk(fronts_path)[1]


def test_shapefile_is_refused_before_its_fields_are_cut(dock, qgis_iface, fronts_path, tmp_path):
    shp = tmp_path / "fronts.shp"
    gdal.VectorTranslate(str(shp), str(fronts_path))
    layer = QgsVectorLayer(str(shp), "shp fronts", "ogr")
    QgsProject.instance().addMapLayer(layer)
    qgis_iface.messageBar().clear_messages()
    dock.set_front_layer(layer)
    assert not dock.accept_current()
    (message,) = critical_messages(qgis_iface)
    assert "shapefile" in message and "10 characters" in message
    assert not [name for name in layer.fields().names() if name.startswith("review")]


def test_switching_layers_asks_about_unsaved_edits(dock, fronts_layer, fronts_path, tmp_path):
    other = QgsVectorLayer(str(fronts_path), "other", "ogr")
    QgsProject.instance().addMapLayer(other)
    dock.accept_current()
    dock.ask_unsaved = lambda: UnsavedChoice.CANCEL
    dock.set_front_layer(other)
    assert dock.layer is fronts_layer and dock.layer_combo.currentLayer() is fronts_layer
    dock.ask_unsaved = lambda: UnsavedChoice.SAVE
    dock.set_front_layer(other)
    assert dock.layer is other and not fronts_layer.isModified()
    assert read_on_disk(fronts_path)[1]["status"] == ACCEPTED


def test_leaving_a_front_drops_the_redraw_in_progress(dock) -> None:
    dock.start_redraw()
    dock.redraw_tool.points.append(QgsPointXY(0, 0))
    assert dock.canvas.mapTool() is dock.redraw_tool
    dock.next_front()
    assert dock.redraw_tool.points == [] and dock.canvas.mapTool() is not dock.redraw_tool


def test_undo_and_redo_show_the_front_they_change(dock) -> None:
    assert dock.accept_current() and dock.current_fid == 2
    dock.undo()
    assert dock.current_fid == 1 and dock.queue.record(1).status == UNREVIEWED
    dock.go_to(3)
    dock.redo()
    assert dock.current_fid == 1 and dock.queue.record(1).status == ACCEPTED
    assert "redo" in dock.actions


def test_exports_refuse_the_layers_own_file_and_empty_results(
    dock, fronts_layer, fronts_path, qgis_iface, tmp_path, monkeypatch
) -> None:
    from qgis.core import Qgis
    from qgis.PyQt.QtWidgets import QFileDialog

    target = tmp_path / "export.gpkg"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    dock._export_fronts_dialog()
    assert not target.exists()
    assert "nothing to export" in qgis_iface.messageBar().get_messages(Qgis.Warning)[-1]
    dock.accept_current()
    dock.save()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(fronts_path), ""))
    dock._export_fronts_dialog()
    assert "layer under review" in critical_messages(qgis_iface)[-1]
    assert len(read_on_disk(fronts_path)) == 4


def test_missing_scene_is_said_and_not_replaced_by_the_previous_one(dock, scenes_dir) -> None:
    dock.set_scene_folder(scenes_dir)
    dock.go_to(2)  # the sample scene: found
    assert dock.note_label.text() == ""
    dock.go_to(3)  # a Landsat 5 scene that is not in the folder
    note = dock.note_label.text().replace("\u200b", "")  # break opportunities in the id
    assert "No scene found for LT05_L1TP_008011_19971001" in note
    root = QgsProject.instance().layerTreeRoot()
    assert not any(root.findLayer(i).isVisible() for i in dock._scene_layer_ids)


def test_export_into_an_existing_geopackage_keeps_its_other_layers(
    dock, tmp_path, qgis_iface
) -> None:
    from osgeo import ogr

    target = tmp_path / "glacier.gpkg"
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(target))
    ds.CreateLayer("glacier_outline", geom_type=ogr.wkbPolygon)
    ds = None
    qgis_iface.messageBar().clear_messages()
    assert dock.accept_current(), critical_messages(qgis_iface)
    assert dock.export_fronts(target) == 1
    ds = ogr.Open(str(target))
    names = {ds.GetLayer(i).GetName(): ds.GetLayer(i).GetFeatureCount() for i in range(2)}
    assert names == {"glacier_outline": 0, "fronts": 1}


def test_removing_the_edited_layer_does_not_ask_again(dock, fronts_path, tmp_path) -> None:
    """QGIS itself asks about a removed layer's edits; the dock lets the layer go."""
    import shutil

    copy = shutil.copy(fronts_path, tmp_path / "second.gpkg")
    layer = QgsVectorLayer(str(copy), "second", "ogr")
    QgsProject.instance().addMapLayer(layer)
    dock.set_front_layer(layer)
    assert dock.accept_current() and layer.isModified()
    asked = []
    dock.ask_unsaved = lambda: asked.append(1) or UnsavedChoice.CANCEL
    QgsProject.instance().removeMapLayer(layer.id())  # edits unsaved; no Python error either
    assert asked == [] and dock.layer is not layer

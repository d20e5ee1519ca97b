"""What a labeller sees and keeps in the dock: the front drawn to stand out, shortcuts on the
buttons, unsaved edits and progress, the qual_flag codes, comments and "unsure" (real QGIS)."""

from __future__ import annotations

import numpy as np
from qgis.core import (
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsPointXY,
    QgsSingleSymbolRenderer,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize, Qt
from qgis.PyQt.QtGui import QColor, QKeySequence

from calfin_qgis.core import schema
from calfin_qgis.gui.review_model import ACCEPTED, UNSURE
from calfin_qgis.gui.review_style import (
    EARLIER_COLOR,
    REVIEW_STYLE,
    confidence_color,
)
from calfin_qgis.gui.review_widgets import QUAL_MEANINGS
from tests.gui.conftest import read_on_disk


def render(dock) -> tuple[np.ndarray, QgsMapSettings]:
    """The fronts layer as the canvas shows it (its extent), RGBA, on a transparent map."""
    settings = QgsMapSettings()
    settings.setLayers([dock.layer])
    settings.setDestinationCrs(dock.layer.crs())
    settings.setOutputSize(QSize(400, 400))
    settings.setBackgroundColor(QColor(0, 0, 0, 0))
    settings.setExtent(dock.canvas.extent())
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage().convertToFormat(job.renderedImage().Format_RGBA8888)
    pixels = np.frombuffer(image.constBits().asstring(image.sizeInBytes()), np.uint8)
    return pixels.reshape(image.height(), image.bytesPerLine() // 4, 4), settings


def pixel(image: np.ndarray, settings: QgsMapSettings, x: float, y: float) -> QColor:
    point = settings.mapToPixel().transform(QgsPointXY(x, y))
    r, g, b, a = image[round(point.y()), round(point.x())]
    return QColor(int(r), int(g), int(b), int(a))


def test_front_under_review_stands_out_and_other_scenes_stay_hidden(dock, fronts_layer) -> None:
    dock.go_to(2)  # confidence 0.8, scene SCENE_ID (with fronts 1 and 4), y = -2270000
    image, settings = render(dock)
    current = pixel(image, settings, -185000, -2270000)
    assert current.alpha() == 255 and abs(current.hue() - confidence_color(0.8).hue()) <= 2
    faint = pixel(image, settings, -185000, -2275000)  # front 4, the same scene
    assert 0 < faint.alpha() < 255 and faint.lightness() > 100
    assert pixel(image, settings, -186000, -2266000).alpha() == 0  # front 3: another scene
    dock.neighbours_check.setChecked(True)  # front 3 is the nearest earlier date
    image, settings = render(dock)
    # Dashed: some of the points along it are drawn.
    along = [pixel(image, settings, x, -2266000) for x in range(-187500, -184500, 100)]
    drawn = [color for color in along if color.alpha() > 0]
    assert drawn and all(abs(color.hue() - EARLIER_COLOR.hue()) <= 2 for color in drawn)
    assert fronts_layer.styleManager().currentStyle() == REVIEW_STYLE
    assert dock.close()  # the layer's own style comes back, the review style goes
    assert REVIEW_STYLE not in fronts_layer.styleManager().styles()
    assert isinstance(fronts_layer.renderer(), QgsSingleSymbolRenderer)


def test_vertices_are_drawn_while_the_front_is_edited(dock, fronts_layer) -> None:
    def current_symbol_layers() -> int:
        return fronts_layer.renderer().rootRule().children()[-1].symbol().symbolLayerCount()

    assert current_symbol_layers() == 2  # halo and line
    dock.start_trim()
    assert current_symbol_layers() == 3  # and a marker on each vertex
    dock.next_front()
    assert current_symbol_layers() == 2


def test_shortcuts_are_written_on_the_buttons(dock) -> None:
    shortcuts = {
        name: a.shortcut() for name, a in dock.actions.items() if not a.shortcut().isEmpty()
    }
    assert {"accept", "reject", "unsure", "next", "previous", "save", "undo"} <= set(shortcuts)
    for name, keys in shortcuts.items():
        assert keys.toString(QKeySequence.NativeText) in dock.action_buttons[name].text()
    assert dock.action_buttons["accept"].text() == "Accept  [A]"


def test_unsaved_edits_are_marked_and_progress_is_a_bar(dock) -> None:
    assert "●" not in dock.windowTitle() and dock.unsaved_label.isHidden()
    assert (dock.progress_bar.value(), dock.progress_bar.maximum()) == (0, 4)
    dock.accept_current()
    assert dock.windowTitle() == "CALFIN front review — fronts ●"
    assert not dock.unsaved_label.isHidden() and "Unsaved edits" in dock.unsaved_label.text()
    assert dock.progress_bar.value() == 1 and dock.progress_bar.text() == "1 of 4 reviewed"
    dock.save()
    assert "●" not in dock.windowTitle() and dock.unsaved_label.isHidden()
    dock.accept_current()
    dock.undo()  # back to what is saved
    assert "●" not in dock.windowTitle()


def test_qual_flag_codes_are_explained(dock) -> None:
    flags = (
        schema.QUAL_MANUAL,
        schema.QUAL_MANUAL_EDITED,
        schema.QUAL_AUTO,
        schema.QUAL_AUTO_LOW_CONFIDENCE,
    )
    assert set(QUAL_MEANINGS) == set(flags)
    legend = dock.legend_label.text()
    items = [dock.qual_combo.itemText(i) for i in range(dock.qual_combo.count())]
    for flag in flags:
        assert f"<b>{flag}</b> {QUAL_MEANINGS[flag]}" in legend
        assert f"{flag} {QUAL_MEANINGS[flag]}" in items
    dock.go_to(3)
    assert f"qual_flag {schema.QUAL_AUTO_LOW_CONFIDENCE} (automatic, low confidence" in (
        dock.front_label.text()
    )


def type_comment(dock, text: str, finish: bool = True) -> None:
    dock.comment_edit.setText(text)
    dock.comment_edit.setModified(True)  # as typing does
    if finish:
        dock.comment_edit.editingFinished.emit()


def test_comments_and_unsure_are_stored_filtered_and_exported(
    dock, fronts_layer, fronts_path, tmp_path
) -> None:
    dock.go_to(2)
    type_comment(dock, "calving event: front hard to see")
    assert dock.unsure_current() and dock.current_fid == 3  # skipped: on to the next
    assert dock.comment_edit.text() == ""
    type_comment(dock, "ice mélange", finish=False)  # still typing when moving on
    dock.previous_front()
    assert dock.comment_edit.text() == "calving event: front hard to see"
    dock.go_to(3)
    assert dock.comment_edit.text() == "ice mélange"
    dock.accept_current()
    assert dock.progress_bar.value() == 1 and dock.progress_label.text().endswith("1 unsure)")
    dock.status_combo.setItemCheckState(dock.status_combo.findData(UNSURE), Qt.Checked)
    assert dock.queue.view == [2]
    assert dock.save()
    saved = read_on_disk(fronts_path)
    assert (saved[2]["status"], saved[2]["reviewed"], saved[2]["reviewer"]) == (UNSURE, 0, "tester")
    assert saved[2]["comment"] == "calving event: front hard to see"
    assert (saved[3]["status"], saved[3]["comment"]) == (ACCEPTED, "ice mélange")
    assert dock.export_fronts(tmp_path / "kept.gpkg") == 1  # unsure is not kept
    (exported,) = QgsVectorLayer(str(tmp_path / "kept.gpkg"), "kept", "ogr").getFeatures()
    assert exported["comment"] == "ice mélange"


def test_comment_field_is_added_to_a_layer_reviewed_before_it_existed(
    dock, fronts_layer, fronts_path
) -> None:
    from qgis.core import QgsField
    from qgis.PyQt.QtCore import QVariant

    old = [QgsField(n, QVariant.String) for n in ("status", "reviewer", "reviewed_at")]
    fronts_layer.dataProvider().addAttributes([*old, QgsField("reviewed", QVariant.Int)])
    fronts_layer.updateFields()
    asked = []
    dock.ask_add_fields = lambda layer, missing: asked.append(missing) or True
    assert dock.set_comment("checked twice")
    assert asked == [["comment"]]
    assert fronts_layer.getFeature(1)["comment"] == "checked twice"
    dock.undo()
    assert dock.comment_edit.text() == "" and dock.queue.record(1).comment == ""


def test_scene_folder_shows_the_end_of_a_long_path(dock, scenes_dir, tmp_path) -> None:
    deep = tmp_path.joinpath("landsat", "greenland", "west", "jakobshavn_isbrae", "scenes")
    deep.mkdir(parents=True)
    dock.set_scene_folder(deep)
    line = dock.scene_folder.lineEdit()
    assert line.text() == str(deep) and line.cursorPosition() == len(str(deep))
    assert line.toolTip() == str(deep) == dock.scene_folder.toolTip()
    assert dock.scenes.folder == deep

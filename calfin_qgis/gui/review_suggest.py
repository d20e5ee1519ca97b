"""The dock's scenes to correct: ``core.finetune.suggest`` on a batch output, and a front
drawn for a suggested scene where the batch found none.

Fine-tuning learns most from the scenes the model gets wrong, the winter scenes without a
front among them (README, "Teach it your glacier"); the dock could only review fronts that
exist. A mixin of ``ReviewDock``: picking a suggested scene goes to its front, or shows its
scene and starts the redraw tool, whose line becomes a new front of that scene.
"""

from __future__ import annotations

from pathlib import Path

from osgeo import ogr
from qgis.core import QgsGeometry, QgsProviderRegistry, QgsRectangle, QgsVectorLayer
from qgis.PyQt.QtCore import QDate, Qt
from qgis.PyQt.QtWidgets import QComboBox

from calfin_qgis.core.errors import InputError
from calfin_qgis.core.finetune.suggest import FRONTS_LAYER, STATUS_LAYER, Suggestion, suggest
from calfin_qgis.core.products.naming import scene_id
from calfin_qgis.core.schema import QUAL_MANUAL

from .review_model import KEPT_STATUSES, REDRAWN
from .review_style import review_renderer
from .review_widgets import breakable

SUGGESTED_PER_GLACIER = 5
"""Scenes suggested per glacier: the five spans of the record that the measurement used."""
DONE_MARK = "✓"
TOOLTIP = (
    "Scenes to correct before fine-tuning (calfin suggest): per glacier, the most suspect "
    "scene of each fifth of the record. Pick one to review its front, or, where the batch "
    "found none, to draw it on its scene"
)


def batch_output_path(layer: QgsVectorLayer | None) -> tuple[str | None, str]:
    """The GeoPackage of a batch's fronts layer, or None and why the layer is not one."""
    if layer is None:
        return None, "Pick the fronts layer of a batch output to see its scenes to correct."
    why = (
        f"{layer.name()} is not the fronts layer of a batch output (the GeoPackage that "
        "calfin:detect_fronts_batch or 'calfin batch' writes, with its fronts and status "
        "tables): there are no scenes to suggest."
    )
    parts = QgsProviderRegistry.instance().decodeUri(layer.providerType(), layer.source())
    path, name = parts.get("path") or "", parts.get("layerName") or FRONTS_LAYER
    if layer.providerType() != "ogr" or name != FRONTS_LAYER or not Path(path).is_file():
        return None, why
    try:
        ds = ogr.Open(path)
    except RuntimeError:
        return None, why
    if ds is None or ds.GetLayerByName(STATUS_LAYER) is None:
        return None, why
    return path, ""


class ReviewSuggestions:
    """The "To correct" box: the batch's suggested scenes, and a front drawn for one."""

    def _build_suggest_row(self, form, body) -> None:
        self.suggestions: list[Suggestion] = []
        self._drawing_scene: Suggestion | None = None
        """The suggested scene a front is being drawn for (the redraw tool adds it)."""
        self.suggest_combo = QComboBox(body)
        self.suggest_combo.activated.connect(self._on_suggestion_picked)
        form.addRow("To correct", self.suggest_combo)

    def refresh_suggestions(self) -> None:
        """Read the scenes to correct from the reviewed layer's file (saved edits only)."""
        self.suggestions = []
        path, why = batch_output_path(self.layer)
        if path is not None:
            try:
                self.suggestions, _ = suggest(path, SUGGESTED_PER_GLACIER)
            except InputError as err:
                why = str(err)
        self.suggest_combo.setEnabled(path is not None and not why)
        self.suggest_combo.setToolTip(why or TOOLTIP)
        self._list_suggestions()

    def _list_suggestions(self) -> None:
        """Fill the box; a scene that has a kept front (accepted, edited, redrawn) is ticked."""
        combo = self.suggest_combo
        kept = {(r.glacier_id, r.scene) for r in self.queue.records() if r.status in KEPT_STATUSES}
        combo.clear()
        combo.addItem(
            f"{len(self.suggestions)} scene(s) to correct…"
            if combo.isEnabled()
            else "No scenes to correct"
        )
        for s in self.suggestions:
            done = (s.glacier_id, scene_id(s.image_id)) in kept
            combo.addItem(f"{DONE_MARK + ' ' if done else ''}{s.date} {s.glacier_id}: {s.reason}")
            combo.setItemData(combo.count() - 1, s.image_id, Qt.ToolTipRole)

    def _on_suggestion_picked(self, row: int) -> None:
        if row > 0:
            self.open_suggestion(row - 1)
        self.suggest_combo.setCurrentIndex(0)

    def open_suggestion(self, index: int) -> bool:
        """Go to the front of suggested scene ``index``; where it has none, show its scene
        and start the redraw tool: the line drawn becomes its front."""
        suggestion = self.suggestions[index]
        self.stop_tools()
        key = (suggestion.glacier_id, scene_id(suggestion.image_id))
        fids = [r.fid for r in self.queue.records() if (r.glacier_id, r.scene) == key]
        if not fids:
            return self.draw_front_for(suggestion)
        if not self.go_to(fids[0]):
            self.iface.messageBar().pushInfo(
                "CALFIN review",
                f"The front of {suggestion.image_id} is hidden by the filters: show all.",
            )
            return False
        return True

    def draw_front_for(self, suggestion: Suggestion) -> bool:
        """Show the scene of ``suggestion``, zoom to its glacier, start drawing its front."""
        if self.review is None or not self.start_review():
            return False
        paths = (Path(suggestion.source),) if suggestion.source else ()
        scene = self._scene_layer(suggestion.image_id, paths)
        if scene is None:
            self.note_label.setText(
                f"No scene found for {breakable(suggestion.image_id)} (the batch read "
                f"{suggestion.source or 'an unknown file'}): pick the scenes folder."
            )
            self.note_label.show()
            return False
        self._show_only_scene(scene)
        self._drawing_scene = suggestion
        self._zoom_to_glacier(suggestion, scene)
        self.redraw_tool.layer = self.layer
        self.canvas.setMapTool(self.redraw_tool)
        self.note_label.setText(
            f"Draw the front of {breakable(suggestion.image_id)} ({suggestion.glacier_id}, "
            f"{suggestion.date}; {suggestion.reason}): click its vertices, right-click or Enter "
            "to finish, Esc to start again. Dashed: the glacier's fronts of the nearest dates."
        )
        self.note_label.show()
        self._restyle()
        return True

    def _neighbours(self, suggestion: Suggestion) -> tuple[list[int], list[int]]:
        """The glacier's fronts of the nearest earlier and later dates: where to draw."""
        scene = scene_id(suggestion.image_id)
        return self.queue.neighbours(suggestion.glacier_id, suggestion.date, scene)

    def _drawing_renderer(self):
        """While a new front is drawn: its glacier's fronts of the nearest dates, dashed."""
        return review_renderer(None, None, [], *self._neighbours(self._drawing_scene))

    def _zoom_to_glacier(self, suggestion: Suggestion, scene) -> None:
        """Around the glacier's fronts of the nearest dates (else all its fronts, else the
        whole scene)."""
        earlier, later = self._neighbours(suggestion)
        fids = earlier + later or [
            r.fid for r in self.queue.records() if r.glacier_id == suggestion.glacier_id
        ]
        if not fids:
            self._zoom_to(scene.extent(), scene.crs(), 1.0)
            return
        box = QgsRectangle()
        box.setMinimal()
        for fid in fids:
            box.combineExtentWith(self.review.geometry(fid).boundingBox())
        self._zoom_to(box, self.layer.crs())

    def _on_line_drawn(self, geometry: QgsGeometry) -> bool:
        """The redraw tool's line: a new front for the scene being drawn, else a redraw."""
        if self._drawing_scene is None:
            return self.redraw_current(geometry)
        return self.add_drawn_front(geometry)

    def add_drawn_front(self, geometry: QgsGeometry) -> bool:
        """Add ``geometry`` (layer CRS) as the redrawn front of the scene being drawn."""
        suggestion = self._drawing_scene
        if suggestion is None or self.review is None:
            return False
        self.stop_tools()
        day = suggestion.date  # the image id's date (suggest leaves undated scenes out)
        values = {
            "image_id": suggestion.image_id,
            "glacier_id": suggestion.glacier_id,
            "date": QDate(day.year, day.month, day.day),
            "qual_flag": QUAL_MANUAL,
        }
        added: list[int] = []
        if not self._write(lambda: added.append(self.review.add_front(values, geometry))):
            return False
        self.frontReviewed.emit(added[0], REDRAWN)
        self.go_to(added[0])
        self._list_suggestions()
        return True

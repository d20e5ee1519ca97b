"""The review dock: step through auto-picked fronts, accept, reject or fix them, save, export.

The widget is thin: the queue (order, filters, progress) lives in ``review_model``, edits of the
layer in ``review_layer``, map tools in ``review_tools`` and exports in ``review_export``. The
dock itself is put together from mixins, one concern each: its widgets (``review_widgets``), the
review actions (``review_actions``), the export dialogs (``review_export_dialogs``) and the map
display (``review_display``); this module holds the layer, the queue and the dock's life cycle.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from qgis.core import QgsProject, QgsSettings, QgsVectorLayer
from qgis.gui import QgsDockWidget
from qgis.PyQt.QtCore import pyqtSignal
from qgis.PyQt.QtGui import QCloseEvent, QShowEvent
from qgis.PyQt.QtWidgets import QWidget

from ..adapter.scenes import SceneFinder
from .review_actions import ReviewActions, UnsavedChoice
from .review_display import ReviewDisplay
from .review_export_dialogs import ReviewExports
from .review_layer import REVIEWER_SETTING, ReviewLayer
from .review_model import EDITED, FrontRecord, ReviewQueue
from .review_reference import ReviewReference
from .review_strip import StripPoint, principal_positions
from .review_style import ReviewStyle
from .review_suggest import ReviewSuggestions
from .review_tools import RedrawTool, TrimTool
from .review_widgets import QUAL_MEANINGS, UNSAVED_MARK, ReviewWidgets, breakable

__all__ = ["ReviewDock", "UnsavedChoice"]


class ReviewDock(
    ReviewWidgets,
    ReviewActions,
    ReviewExports,
    ReviewDisplay,
    ReviewReference,
    ReviewSuggestions,
    QgsDockWidget,
):
    """Review fronts of a line layer one by one, with their scenes beneath them."""

    currentFrontChanged = pyqtSignal(int)  # noqa: N815 - feature id, -1 when none
    frontReviewed = pyqtSignal(int, str)  # noqa: N815 - feature id, new status
    progressChanged = pyqtSignal(int, int)  # noqa: N815 - reviewed, total
    saved = pyqtSignal()

    def __init__(self, iface, parent: QWidget | None = None) -> None:
        super().__init__("CALFIN front review", parent)
        self.setObjectName("CalfinReviewDock")
        self.iface = iface
        self.canvas = iface.mapCanvas()
        self.queue = ReviewQueue()
        self.review: ReviewLayer | None = None
        self.scenes = SceneFinder()
        self.auto_advance = True
        self.ask_add_fields: Callable[[QgsVectorLayer, list[str]], bool] = self._ask_add_fields
        """Asked before adding review fields; replace to answer without a dialog."""
        self.ask_unsaved: Callable[[], UnsavedChoice] = self._ask_unsaved
        """Asked on close and before an export with unsaved edits; replace to answer without
        a dialog."""
        self._connected: QgsVectorLayer | None = None
        self._shown_fid: int | None = None
        self._applying = False
        self._scene_layer_ids: list[str] = []
        self._status_filter: set[str] | None = None
        self._qual_filter: set[int] | None = None
        self._screened_only = False
        self._style: ReviewStyle | None = None
        self._editing_front = False
        """The current front is being edited (its vertices are drawn)."""
        self._comment_fid: int | None = None
        """The front whose comment the comment field shows."""
        self.redraw_tool = RedrawTool(self.canvas)
        self.redraw_tool.lineCaptured.connect(self._on_line_drawn)
        self.trim_tool = TrimTool(self.canvas)
        self.trim_tool.trimRequested.connect(self.trim_current)
        self._build_ui()
        self._build_actions()
        QgsProject.instance().layersWillBeRemoved.connect(self._on_layers_removed)
        self.set_front_layer(self.layer_combo.currentLayer())

    # --- layer and scenes ----------------------------------------------------------------

    @property
    def layer(self) -> QgsVectorLayer | None:
        return self.review.layer if self.review else None

    def set_front_layer(self, layer: QgsVectorLayer | None) -> None:
        """Review ``layer`` (also picks it in the layer box)."""
        if self.layer_combo.currentLayer() is not layer:
            self.layer_combo.setLayer(layer)  # emits layerChanged → _on_layer_changed
        if self._connected is not layer or layer is None:
            self._on_layer_changed(layer)

    def _on_layer_changed(self, layer) -> None:
        if self.review is not None and layer is not self.layer and not self.settle_unsaved():
            self.layer_combo.setLayer(self.layer)  # cancelled: stay on the edited layer
            return
        self._release_layer()
        if isinstance(layer, QgsVectorLayer):
            self.review = ReviewLayer(layer, self.reviewer_edit.text())
            self._connect_layer(layer)
            self._take_style()
        self.reload()
        self.refresh_suggestions()

    def _release_layer(self) -> None:
        self._store_comment()
        self.stop_tools()
        self._disconnect_layer()
        self._give_style_back()
        self.review = None
        self._shown_fid = self._comment_fid = None

    def _on_layers_removed(self, layer_ids) -> None:
        """The reviewed layer leaves the project: let it go before it is deleted, and before
        the layer box moves on (QGIS has asked about its edits already)."""
        if self.review is not None and self.layer.id() in layer_ids:
            self._release_layer()
            self.reload()
            self.refresh_suggestions()

    def _layer_slots(self) -> tuple[tuple[str, Callable], ...]:
        """The reviewed layer's signals and the dock's slots for them."""
        return (
            ("attributeValueChanged", self._on_attribute_changed),
            ("geometryChanged", self._on_geometry_changed),
            ("featureAdded", self.reload),
            ("featureDeleted", self.reload),
            ("afterRollBack", self.reload),
            ("afterCommitChanges", self.reload),
            ("afterCommitChanges", self.refresh_suggestions),
            ("updatedFields", self.reload),
            ("layerModified", self._show_edit_state),
            ("editingStopped", self._show_edit_state),
        )

    def _connect_layer(self, layer: QgsVectorLayer) -> None:
        for name, slot in self._layer_slots():
            getattr(layer, name).connect(slot)
        self._connected = layer

    def _disconnect_layer(self) -> None:
        layer, self._connected = self._connected, None
        if layer is None:
            return
        for name, slot in self._layer_slots():
            # The layer may be deleted already (removed from the project), or the slot gone.
            with contextlib.suppress(TypeError, RuntimeError):
                getattr(layer, name).disconnect(slot)

    def set_scene_folder(self, folder: str | Path | None) -> None:
        """Look up scenes (raster files named after image_id) in ``folder`` and below."""
        self.scenes = SceneFinder(folder or None)
        path = str(folder or "")
        if self.scene_folder.filePath() != path:
            self.scene_folder.setFilePath(path)
        # A long path shows its end (the folder's own name), the tooltip all of it.
        self.scene_folder.lineEdit().setCursorPosition(len(path))
        self.scene_folder.setToolTip(path)
        self.scene_folder.lineEdit().setToolTip(path)
        self._show_scene()

    def set_reviewer(self, name: str, remember: bool = True) -> None:
        """Sign reviews with ``name``; ``remember`` keeps it in the QGIS settings."""
        if remember:
            QgsSettings().setValue(REVIEWER_SETTING, name)
        if self.reviewer_edit.text() != name:
            self.reviewer_edit.setText(name)
        if self.review:
            self.review.reviewer = name

    def start_review(self) -> bool:
        """Make sure the layer has the review fields, adding them after asking."""
        if self.review is None:
            return False
        problem = self.review.problem()
        if problem:
            self.iface.messageBar().pushCritical("CALFIN review", problem)
            return False
        missing = self.review.missing_fields()
        if not missing:
            return True
        if not self.ask_add_fields(self.review.layer, missing):
            return False
        # A render in progress reads the file on a connection of its own; a GeoPackage's schema
        # change waits 5 s for it and is then refused ("Cannot add the review fields").
        self.canvas.waitWhileRendering()
        try:
            self.review.add_review_fields()
        except RuntimeError as err:
            self.iface.messageBar().pushCritical("CALFIN review", str(err))
            return False
        return True

    # --- queue ---------------------------------------------------------------------------

    def reload(self) -> None:
        """Re-read all fronts of the layer, keeping the current one."""
        keep = self.queue.current_fid
        self.queue.reset(self.review.records() if self.review else [])
        if keep is not None:
            self.queue.go_to(keep)
        self._list_suggestions()
        self._sync()

    def _on_attribute_changed(self, fid: int, *_args) -> None:
        record = self.review.record_of(fid) if self.review else None
        if record is None:
            self.queue.remove(fid)
        else:
            self.queue.update(record)
        if not self._applying:
            self._sync()

    def _on_geometry_changed(self, fid: int, _geometry) -> None:
        # A QGIS editing tool (vertex tool...) changed a front inside its own edit command:
        # mark the front edited in that same command, so one undo reverts both.
        if self._applying or self.layer is None or not self.layer.isEditCommandActive():
            return
        if self.start_review() and self._apply(fid, EDITED):
            self._sync()

    def set_qual_filter(self, flags=None) -> None:
        """Show only fronts with these qual_flag values (None: all)."""
        self._qual_filter = None if flags is None else set(flags)
        self._apply_filter()

    def set_screened_filter(self, only: bool) -> None:
        """Show only the fronts screening marked that wait for a decision."""
        if self.screened_check.isChecked() != only:
            self.screened_check.setChecked(only)  # toggled → _on_filter_widgets
        self._screened_only = only
        self._apply_filter()

    def _apply_filter(self) -> None:
        self.queue.set_filter(self._status_filter, self._qual_filter, self._screened_only)
        self._sync()

    def set_sort(self, key: str, descending: bool = False) -> None:
        """Order fronts by "fid" (layer order), "date", "confidence" or "suspicion"
        (screened first, then by uncertainty)."""
        self.queue.set_sort(key, descending)
        self._sync()

    def _on_filter_widgets(self) -> None:
        statuses = self.status_combo.checkedItemsData()
        flags = self.qual_combo.checkedItemsData()
        self._status_filter = set(statuses) if statuses else None
        self._qual_filter = {int(flag) for flag in flags} if flags else None  # data comes as text
        self._screened_only = self.screened_check.isChecked()
        self._apply_filter()

    def _on_sort_widgets(self) -> None:
        self.set_sort(self.sort_combo.currentData(), self.descending_check.isChecked())

    def next_front(self) -> bool:
        moved = self.queue.next()
        self._sync()
        return moved

    def previous_front(self) -> bool:
        moved = self.queue.previous()
        self._sync()
        return moved

    def go_to(self, fid: int) -> bool:
        moved = self.queue.go_to(fid)
        self._sync()
        return moved

    @property
    def current_fid(self) -> int | None:
        return self.queue.current_fid

    # --- display -------------------------------------------------------------------------

    def _sync(self) -> None:
        """Refresh the labels and the map; zoom and emit when the current front changed."""
        if self.queue.current_fid != self._shown_fid:
            self._store_comment()  # typed for the front being left (may re-enter _sync)
        record = self.queue.current
        if record is None:
            self.front_label.setText("No front to review." if self.review else "Pick a layer.")
        else:
            meaning = QUAL_MEANINGS.get(record.qual_flag, "no known code")
            self.front_label.setText(
                f"{self.queue.position + 1} of {len(self.queue.view)} shown — "
                f"{breakable(record.image_id) or 'no image_id'}, {record.date or 'no date'}, "
                f"confidence {record.confidence}, qual_flag {record.qual_flag} ({meaning}): "
                f"<b>{record.status}</b>{record.trust_text()}"
            )
        self.progress_label.setText(self.queue.progress_text())
        self.progress_bar.setMaximum(max(self.queue.total, 1))
        self.progress_bar.setValue(self.queue.reviewed)
        self.progressChanged.emit(self.queue.reviewed, self.queue.total)
        self._show_edit_state()
        self._show_comment(record)
        self._show_strip(record)
        fid = self.queue.current_fid
        if fid != self._shown_fid:
            self._shown_fid = fid
            self.stop_tools()
            self._show_current()
            self.currentFrontChanged.emit(-1 if fid is None else fid)
        self._restyle()
        self._show_reference()

    def _show_strip(self, record: FrontRecord | None) -> None:
        """The current glacier's dated fronts in the strip, the current one ringed."""
        series = self.queue.glacier_series(record.fid) if record and record.date else []
        geometries = [self.review.geometry(r.fid) for r in series] if series else []
        kept = [(r, g) for r, g in zip(series, geometries, strict=True) if not g.isEmpty()]
        centres = [g.centroid().asPoint() for _, g in kept]
        positions = principal_positions([(p.x(), p.y()) for p in centres])
        points = [
            StripPoint(r.fid, r.date, value, r.screened)
            for (r, _), value in zip(kept, positions, strict=True)
        ]
        self.strip.set_points(points, record.fid if record else None)

    def _show_comment(self, record: FrontRecord | None) -> None:
        """The current front's comment, unless the labeller is typing one for it."""
        fid = None if record is None else record.fid
        if fid != self._comment_fid or not self.comment_edit.isModified():
            self._comment_fid = fid
            text = "" if record is None else record.comment
            if self.comment_edit.text() != text:
                self.comment_edit.setText(text)
        self.comment_edit.setEnabled(record is not None)

    def _show_edit_state(self) -> None:
        """Unsaved edits are marked in the dock's title and above the progress bar."""
        unsaved = self.has_unsaved_edits
        name = f" — {self.layer.name()}" if self.layer is not None else ""
        self.setWindowTitle(f"CALFIN front review{name}{f' {UNSAVED_MARK}' if unsaved else ''}")
        save = self.action_buttons["save"].text().removeprefix("Save").strip()
        self.unsaved_label.setText(
            f"{UNSAVED_MARK} Unsaved edits: Save {save} writes them to the layer's file."
            if unsaved
            else ""
        )
        self.unsaved_label.setVisible(unsaved)

    # --- closing -------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        if not self.settle_unsaved():
            event.ignore()
            return
        self.cleanup()
        super().closeEvent(event)

    def cleanup(self) -> None:
        """Release the map tools, shortcuts on the map, layer signals and the layer's style."""
        self.stop_tools()
        self._give_style_back()
        with contextlib.suppress(TypeError, RuntimeError):
            QgsProject.instance().layersWillBeRemoved.disconnect(self._on_layers_removed)
        for action in self.actions.values():
            self.canvas.removeAction(action)
        self._disconnect_layer()

    def dispose(self) -> None:
        """For good (plugin unload): also take the tools' drawings off the map canvas, which
        outlives the dock."""
        self.cleanup()
        for tool in (self.redraw_tool, self.trim_tool):
            with contextlib.suppress(RuntimeError):
                self.canvas.scene().removeItem(tool.band)
        self._clear_reference()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt API
        """Reopened after a close: take up the layer, its review style and the map shortcuts
        again."""
        for action in self.actions.values():
            self.canvas.addAction(action)
        with contextlib.suppress(TypeError):  # connected once, also after a close
            QgsProject.instance().layersWillBeRemoved.disconnect(self._on_layers_removed)
        QgsProject.instance().layersWillBeRemoved.connect(self._on_layers_removed)
        if self._connected is None and self.layer is not None:
            self._connect_layer(self.layer)
            self._take_style()
            self.reload()
        super().showEvent(event)

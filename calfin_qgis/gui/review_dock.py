"""The review dock: step through auto-picked fronts, accept, reject or fix them, save, export.

The widget is thin: the queue (order, filters, progress) lives in ``review_model``, edits of the
layer in ``review_layer``, map tools in ``review_tools`` and exports in ``review_export``. Every
action is a public method, so that the buttons, the shortcuts and the tests drive the same code.
"""

from __future__ import annotations

import contextlib
import enum
import re
from collections.abc import Callable
from pathlib import Path

import shapely
from qgis.core import (
    QgsCoordinateTransform,
    QgsGeometry,
    QgsMapLayerProxyModel,
    QgsPointXY,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
    QgsSettings,
    QgsVectorLayer,
)
from qgis.gui import QgsCheckableComboBox, QgsDockWidget, QgsFileWidget, QgsMapLayerComboBox
from qgis.PyQt.QtCore import Qt, pyqtSignal
from qgis.PyQt.QtGui import QCloseEvent, QGuiApplication, QKeySequence, QShowEvent
from qgis.PyQt.QtWidgets import (
    QAction,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from calfin_qgis.core.schema import (
    QUAL_AUTO,
    QUAL_AUTO_LOW_CONFIDENCE,
    QUAL_MANUAL,
    QUAL_MANUAL_EDITED,
)

from .review_export import LabelExport, export_fronts, export_label_images
from .review_geometry import trim
from .review_layer import REVIEWER_SETTING, ReviewLayer, default_reviewer
from .review_model import ACCEPTED, EDITED, REDRAWN, REJECTED, STATUSES, ReviewQueue
from .review_scenes import SceneFinder
from .review_tools import RedrawTool, TrimTool

REVIEW_COMMAND = re.compile(r"Review front (-?\d+):")
"""The text of the dock's edit commands (``ReviewLayer.apply``), to find the front undone."""
MAX_SCENES = 8
"""Scene layers the dock adds to the project and keeps; older ones are removed."""
ZOOM_MARGIN = 1.3
"""The map shows the front's bounding box enlarged by this factor."""
QUAL_FLAGS = (QUAL_MANUAL, QUAL_MANUAL_EDITED, QUAL_AUTO, QUAL_AUTO_LOW_CONFIDENCE)


class UnsavedChoice(enum.Enum):
    SAVE = "save"
    DISCARD = "discard"
    KEEP = "keep"
    """Close the dock and leave the edits in the layer's buffer (QGIS asks on project close)."""
    CANCEL = "cancel"


class ReviewDock(QgsDockWidget):
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
        self.redraw_tool = RedrawTool(self.canvas)
        self.redraw_tool.lineCaptured.connect(self.redraw_current)
        self.trim_tool = TrimTool(self.canvas)
        self.trim_tool.trimRequested.connect(self.trim_current)
        self._build_ui()
        self._build_actions()
        QgsProject.instance().layersWillBeRemoved.connect(self._on_layers_removed)
        self.set_front_layer(self.layer_combo.currentLayer())

    # --- widgets -------------------------------------------------------------------------

    def _build_ui(self) -> None:
        body = QWidget(self)
        layout = QVBoxLayout(body)
        form = QFormLayout()
        self.layer_combo = QgsMapLayerComboBox(body)
        self.layer_combo.setFilters(QgsMapLayerProxyModel.LineLayer)
        self.layer_combo.setAllowEmptyLayer(True)
        self.layer_combo.layerChanged.connect(self._on_layer_changed)
        form.addRow("Fronts", self.layer_combo)
        self.scene_folder = QgsFileWidget(body)
        self.scene_folder.setStorageMode(QgsFileWidget.GetDirectory)
        self.scene_folder.fileChanged.connect(self.set_scene_folder)
        form.addRow("Scenes folder", self.scene_folder)
        self.reviewer_edit = QLineEdit(default_reviewer(), body)
        self.reviewer_edit.editingFinished.connect(
            lambda: self.set_reviewer(self.reviewer_edit.text())
        )
        form.addRow("Reviewer", self.reviewer_edit)
        # Several values at once; none checked shows all.
        self.status_combo = QgsCheckableComboBox(body)
        self.status_combo.setDefaultText("All statuses")
        for status in STATUSES:
            self.status_combo.addItemWithCheckState(status, Qt.Unchecked, status)
        form.addRow("Status", self.status_combo)
        self.qual_combo = QgsCheckableComboBox(body)
        self.qual_combo.setDefaultText("All flags")
        for flag in QUAL_FLAGS:
            self.qual_combo.addItemWithCheckState(str(flag), Qt.Unchecked, flag)
        form.addRow("qual_flag", self.qual_combo)
        self.sort_combo = QComboBox(body)
        for label, key in (("Layer order", "fid"), ("Date", "date"), ("Confidence", "confidence")):
            self.sort_combo.addItem(label, key)
        self.descending_check = QCheckBox("descending", body)
        self.sort_combo.currentIndexChanged.connect(self._on_sort_widgets)
        self.descending_check.toggled.connect(self._on_sort_widgets)
        form.addRow("Sort by", self.sort_combo)
        form.addRow("", self.descending_check)
        layout.addLayout(form)
        self.front_label = QLabel(body)
        self.front_label.setWordWrap(True)
        layout.addWidget(self.front_label)
        self.note_label = QLabel(body)
        """What the labeller should know: a missing scene, fields the layer lacks."""
        self.note_label.setWordWrap(True)
        layout.addWidget(self.note_label)
        self.buttons = QGridLayout()
        layout.addLayout(self.buttons)
        self.progress_label = QLabel(body)
        self.progress_label.setWordWrap(True)
        layout.addWidget(self.progress_label)
        layout.addStretch(1)
        self.setWidget(body)
        for combo in (self.status_combo, self.qual_combo):
            # dataChanged: checkedItemsChanged misses setItemCheckState on QGIS 3.22
            combo.model().dataChanged.connect(self._on_filter_widgets)

    def _build_actions(self) -> None:
        specs = (
            ("previous", "◀ Previous", "PgUp", self.previous_front),
            ("next", "Next ▶", "PgDown", self.next_front),
            ("accept", "Accept", "A", self.accept_current),
            ("reject", "Reject", "X", self.reject_current),
            ("redraw", "Redraw", "D", self.start_redraw),
            ("edit", "Edit vertices", "E", self.edit_vertices_current),
            ("trim", "Split / trim", "T", self.start_trim),
            ("undo", "Undo", "Ctrl+Alt+Z", self.undo),
            ("redo", "Redo", "Ctrl+Alt+Y", self.redo),
            ("save", "Save", "Ctrl+Alt+S", self.save),
            ("export_fronts", "Export fronts…", "", self._export_fronts_dialog),
            ("export_labels", "Export labels…", "", self._export_labels_dialog),
        )
        self.actions: dict[str, QAction] = {}
        for i, (name, text, keys, slot) in enumerate(specs):
            action = QAction(text, self)
            if keys:
                action.setShortcut(QKeySequence(keys))
                action.setToolTip(f"{text} ({keys})")
            # Shortcuts work with the focus in the dock or on the map.
            action.setShortcutContext(Qt.WidgetWithChildrenShortcut)
            action.triggered.connect(lambda _=False, s=slot: s())
            self.addAction(action)
            self.canvas.addAction(action)
            button = QPushButton(text, self.widget())
            button.clicked.connect(action.trigger)
            button.setToolTip(action.toolTip())
            self.buttons.addWidget(button, i // 2, i % 2)
            self.actions[name] = action

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
        self.reload()

    def _release_layer(self) -> None:
        self.stop_tools()
        self._disconnect_layer()
        self.review = None

    def _on_layers_removed(self, layer_ids) -> None:
        """The reviewed layer leaves the project: let it go before it is deleted, and before
        the layer box moves on (QGIS has asked about its edits already)."""
        if self.review is not None and self.layer.id() in layer_ids:
            self._release_layer()
            self.reload()

    def _connect_layer(self, layer: QgsVectorLayer) -> None:
        layer.attributeValueChanged.connect(self._on_attribute_changed)
        layer.geometryChanged.connect(self._on_geometry_changed)
        for signal in (
            layer.featureAdded,
            layer.featureDeleted,
            layer.afterRollBack,
            layer.afterCommitChanges,
            layer.updatedFields,
        ):
            signal.connect(self.reload)
        self._connected = layer

    def _disconnect_layer(self) -> None:
        layer, self._connected = self._connected, None
        if layer is None:
            return
        for name, slot in (
            ("attributeValueChanged", self._on_attribute_changed),
            ("geometryChanged", self._on_geometry_changed),
            ("featureAdded", self.reload),
            ("featureDeleted", self.reload),
            ("afterRollBack", self.reload),
            ("afterCommitChanges", self.reload),
            ("updatedFields", self.reload),
        ):
            # The layer may be deleted already (removed from the project), or the slot gone.
            with contextlib.suppress(TypeError, RuntimeError):
                getattr(layer, name).disconnect(slot)

    def set_scene_folder(self, folder: str | Path | None) -> None:
        """Look up scenes (raster files named after image_id) in ``folder`` and below."""
        self.scenes = SceneFinder(folder or None, self.scenes.layers)
        if self.scene_folder.filePath() != str(folder or ""):
            self.scene_folder.setFilePath(str(folder or ""))
        self._show_scene()

    def set_scene_layers(self, layers: list[QgsRasterLayer]) -> None:
        """Prefer these raster layers (matched by name or file) as scenes."""
        self.scenes = SceneFinder(self.scenes.folder, layers)
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
        if self.start_review():
            self._apply(fid, EDITED)

    def set_status_filter(self, statuses=None) -> None:
        """Show only fronts with these statuses (None: all)."""
        self._status_filter = None if statuses is None else set(statuses)
        self._apply_filter()

    def set_qual_filter(self, flags=None) -> None:
        """Show only fronts with these qual_flag values (None: all)."""
        self._qual_filter = None if flags is None else set(flags)
        self._apply_filter()

    def _apply_filter(self) -> None:
        self.queue.set_filter(self._status_filter, self._qual_filter)
        self._sync()

    def set_sort(self, key: str, descending: bool = False) -> None:
        """Order fronts by "fid" (layer order), "date" or "confidence"."""
        self.queue.set_sort(key, descending)
        self._sync()

    def _on_filter_widgets(self) -> None:
        statuses = self.status_combo.checkedItemsData()
        flags = self.qual_combo.checkedItemsData()
        self._status_filter = set(statuses) if statuses else None
        self._qual_filter = {int(flag) for flag in flags} if flags else None  # data comes as text
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

    # --- review actions ------------------------------------------------------------------

    def _apply(self, fid: int, action: str, geometry: QgsGeometry | None = None) -> bool:
        """Write the review; a refusal (read-only source...) goes to the message bar."""
        self._applying = True
        try:
            self.review.apply(fid, action, geometry)
        except (RuntimeError, KeyError) as err:
            self.iface.messageBar().pushCritical("CALFIN review", str(err).strip("'\""))
            return False
        finally:
            self._applying = False
        self.frontReviewed.emit(fid, action)
        return True

    def _review_current(self, action: str, geometry: QgsGeometry | None = None) -> bool:
        fid = self.queue.current_fid
        if fid is None or not self.start_review() or not self._apply(fid, action, geometry):
            return False
        if self.auto_advance and action in (ACCEPTED, REJECTED):
            self.queue.step_past(fid)
        self._sync()
        return True

    def accept_current(self) -> bool:
        """Accept the current front as it is (an auto pick keeps qual_flag 10/13)."""
        return self._review_current(ACCEPTED)

    def reject_current(self) -> bool:
        return self._review_current(REJECTED)

    def redraw_current(self, geometry: QgsGeometry) -> bool:
        """Replace the current front by a hand-drawn line (layer CRS): qual_flag 0."""
        return self._review_current(REDRAWN, QgsGeometry(geometry))

    def edit_current(self, geometry: QgsGeometry) -> bool:
        """Replace the current front by an edited version of it (layer CRS): qual_flag 3."""
        return self._review_current(EDITED, QgsGeometry(geometry))

    def trim_current(self, cutter: QgsGeometry, keep_near: QgsPointXY | None = None) -> bool:
        """Cut the current front at a point or by a line; keep the part nearest ``keep_near``.

        Without ``keep_near`` the longer part is kept.
        """
        fid = self.queue.current_fid
        if fid is None:
            return False
        line = shapely.from_wkb(bytes(self.review.geometry(fid).asWkb()))
        near = None if keep_near is None else shapely.Point(keep_near.x(), keep_near.y())
        kept = trim(line, shapely.from_wkb(bytes(cutter.asWkb())), near)
        if kept.equals(line):
            return False
        return self.edit_current(QgsGeometry.fromWkt(kept.wkt))

    def stop_tools(self) -> None:
        """Drop a redraw or trim in progress: it belonged to the front (or layer) left."""
        for tool in (self.redraw_tool, self.trim_tool):
            # At QGIS exit the canvas items may be gone before the layers are removed.
            with contextlib.suppress(RuntimeError):
                tool.reset()
                if self.canvas.mapTool() is tool:
                    self.canvas.unsetMapTool(tool)

    def start_redraw(self) -> None:
        """Activate the map tool that draws a replacement for the current front."""
        self.redraw_tool.layer = self.layer
        self.canvas.setMapTool(self.redraw_tool)

    def start_trim(self) -> None:
        """Activate the map tool that cuts the current front (press: cut, release: keep)."""
        self.trim_tool.layer = self.layer
        self.canvas.setMapTool(self.trim_tool)

    def edit_vertices_current(self) -> bool:
        """Hand the current front to QGIS's vertex tool; its edits mark the front edited."""
        fid = self.queue.current_fid
        if fid is None or not self.start_review():
            return False
        layer = self.layer
        if not layer.isEditable() and not layer.startEditing():
            return False
        layer.selectByIds([fid])
        self.iface.setActiveLayer(layer)
        self.iface.actionVertexTool().trigger()
        return True

    def undo(self) -> None:
        """Undo the last edit and show the front it changed."""
        if self.layer is not None:
            stack = self.layer.undoStack()
            self._go_to_command_front(stack.command(stack.index() - 1))
            stack.undo()

    def redo(self) -> None:
        if self.layer is not None:
            stack = self.layer.undoStack()
            self._go_to_command_front(stack.command(stack.index()))
            stack.redo()

    def _go_to_command_front(self, command) -> None:
        match = REVIEW_COMMAND.match(command.text()) if command is not None else None
        if match:
            self.go_to(int(match.group(1)))

    @property
    def has_unsaved_edits(self) -> bool:
        return self.layer is not None and self.layer.isModified()

    def save(self) -> bool:
        """Write the edits to the layer's file (commitChanges)."""
        layer = self.layer
        if layer is None or not layer.isEditable():
            return True
        if not layer.commitChanges():
            errors = "; ".join(layer.commitErrors())
            self.iface.messageBar().pushCritical("CALFIN review", f"Saving failed: {errors}")
            return False
        self.saved.emit()
        return True

    def discard(self) -> None:
        """Drop all unsaved edits."""
        if self.layer is not None and self.layer.isEditable():
            self.layer.rollBack()

    # --- exports -------------------------------------------------------------------------

    def export_fronts(self, path: str | Path) -> int:
        """Write the accepted, edited and redrawn fronts to a GeoPackage; return how many."""
        return export_fronts(self.layer, path) if self.layer else 0

    def export_labels(self, folder: str | Path) -> LabelExport:
        """Write label images (labels/, labels_1px/) of the kept fronts on their scenes' grids."""
        if self.layer is None:
            return LabelExport()
        return export_label_images(self.layer, folder, self.scenes)

    def _nothing_kept(self) -> bool:
        """True (with a warning) when no front is accepted, edited or redrawn yet."""
        if self.queue.kept:
            return False
        self.iface.messageBar().pushWarning(
            "CALFIN review", "No front is accepted, edited or redrawn yet: nothing to export."
        )
        return True

    def _export_fronts_dialog(self) -> None:
        if self._nothing_kept() or not self.settle_unsaved():  # the file matches what is saved
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export reviewed fronts", "", "*.gpkg")
        if path:
            try:
                count = self.export_fronts(path)
            except (ValueError, RuntimeError) as err:
                self.iface.messageBar().pushCritical("CALFIN review", str(err))
                return
            self.iface.messageBar().pushSuccess("CALFIN review", f"{count} fronts → {path}")

    def _export_labels_dialog(self) -> None:
        if self._nothing_kept() or not self.settle_unsaved():
            return
        folder = QFileDialog.getExistingDirectory(self, "Export label images")
        if folder:
            result = self.export_labels(folder)
            text = f"{len(result.written)} label images → {folder}"
            if result.missing_scenes:
                text += f"; no scene found for {', '.join(result.missing_scenes)}"
            self.iface.messageBar().pushInfo("CALFIN review", text)

    # --- display -------------------------------------------------------------------------

    def _sync(self) -> None:
        """Refresh the labels; zoom and emit when the current front changed."""
        record = self.queue.current
        if record is None:
            self.front_label.setText("No front to review." if self.review else "Pick a layer.")
        else:
            self.front_label.setText(
                f"{self.queue.position + 1} of {len(self.queue.view)} shown — "
                f"{record.image_id or 'no image_id'}, {record.date or 'no date'}, "
                f"confidence {record.confidence}, qual_flag {record.qual_flag}: {record.status}"
            )
        self.progress_label.setText(self.queue.progress_text())
        self.progressChanged.emit(self.queue.reviewed, self.queue.total)
        fid = self.queue.current_fid
        if fid != self._shown_fid:
            self._shown_fid = fid
            self.stop_tools()
            self._show_current()
            self.currentFrontChanged.emit(-1 if fid is None else fid)

    def _show_current(self) -> None:
        fid = self.queue.current_fid
        if fid is None or self.layer is None:
            return
        self.layer.selectByIds([fid])
        self._show_scene()
        box = self.review.geometry(fid).boundingBox()
        canvas_crs = self.canvas.mapSettings().destinationCrs()
        if canvas_crs.isValid() and canvas_crs != self.layer.crs():
            transform = QgsCoordinateTransform(self.layer.crs(), canvas_crs, QgsProject.instance())
            box = transform.transformBoundingBox(box)
        # A straight front has a flat box: give it some depth to show the scene around it.
        side = max(box.width(), box.height(), 1.0) * ZOOM_MARGIN
        center = box.center()
        box = QgsRectangle.fromCenterAndSize(
            center,
            max(box.width() * ZOOM_MARGIN, side / 2),
            max(box.height() * ZOOM_MARGIN, side / 2),
        )
        self.canvas.setExtent(box)
        self.canvas.refresh()

    def _show_scene(self) -> None:
        """Show the current front's scene right below the front layer; hide other scenes."""
        record = self.queue.current
        if record is None or self.layer is None:
            return
        notes = []
        missing = self.review.missing_front_fields()
        if missing:
            notes.append(
                f"The layer has no {', '.join(missing)} field: scenes, dates and sorting need "
                "them (calfin:detect_fronts writes them)."
            )
        scene = self._scene_layer(record.image_id)
        if scene is None and record.image_id:
            notes.append(
                f"No scene found for {record.image_id}: pick the scenes folder, or load the "
                "scene into the project."
            )
        self.note_label.setText(" ".join(notes))
        root = QgsProject.instance().layerTreeRoot()
        for layer_id in self._scene_layer_ids:
            node = root.findLayer(layer_id)
            if node is not None:
                node.setItemVisibilityChecked(scene is not None and layer_id == scene.id())

    def _scene_layer(self, image_id: str) -> QgsRasterLayer | None:
        """The scene of ``image_id``: a project layer, or one the dock adds below the fronts
        (keeping the last MAX_SCENES it added)."""
        scene = self.scenes.layer_for(image_id)
        if scene is not None:
            return scene
        path = self.scenes.path_for(image_id)
        if path is None:
            return None
        scene = QgsRasterLayer(str(path), path.stem)
        if not scene.isValid():
            return None
        project = QgsProject.instance()
        project.addMapLayer(scene, False)
        root = project.layerTreeRoot()
        node = root.findLayer(self.layer.id())
        parent = node.parent() if node else root
        index = parent.children().index(node) + 1 if node else len(parent.children())
        parent.insertLayer(index, scene)
        self._scene_layer_ids.append(scene.id())
        while len(self._scene_layer_ids) > MAX_SCENES:
            project.removeMapLayer(self._scene_layer_ids.pop(0))
        return scene

    # --- closing -------------------------------------------------------------------------

    def _gui_user(self) -> bool:
        return self.isVisible() and QGuiApplication.platformName() not in ("offscreen", "minimal")

    def _ask_add_fields(self, layer: QgsVectorLayer, missing: list[str]) -> bool:
        if not self._gui_user():
            return True
        answer = QMessageBox.question(
            self,
            "Start review",
            f"Add the fields {', '.join(missing)} to {layer.name()}? "
            "The review stores its results in them.",
        )
        return answer == QMessageBox.Yes

    def _ask_unsaved(self) -> UnsavedChoice:
        if not self._gui_user():
            return UnsavedChoice.KEEP
        answer = QMessageBox.question(
            self,
            "Unsaved review",
            f"{self.layer.name()} has unsaved review edits. Save them?",
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel,
        )
        return {
            QMessageBox.Save: UnsavedChoice.SAVE,
            QMessageBox.Discard: UnsavedChoice.DISCARD,
        }.get(answer, UnsavedChoice.CANCEL)

    def settle_unsaved(self) -> bool:
        """With unsaved edits, ask whether to save, discard or keep them; False on cancel."""
        if not self.has_unsaved_edits:
            return True
        choice = self.ask_unsaved()
        if choice is UnsavedChoice.CANCEL or (choice is UnsavedChoice.SAVE and not self.save()):
            return False
        if choice is UnsavedChoice.DISCARD:
            self.discard()
        return True

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        if not self.settle_unsaved():
            event.ignore()
            return
        self.cleanup()
        super().closeEvent(event)

    def cleanup(self) -> None:
        """Release the map tools, shortcuts on the map and layer signals."""
        self.stop_tools()
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

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt API
        """Reopened after a close: take up the layer and the map shortcuts again."""
        for action in self.actions.values():
            self.canvas.addAction(action)
        with contextlib.suppress(TypeError):  # connected once, also after a close
            QgsProject.instance().layersWillBeRemoved.disconnect(self._on_layers_removed)
        QgsProject.instance().layersWillBeRemoved.connect(self._on_layers_removed)
        if self._connected is None and self.layer is not None:
            self._connect_layer(self.layer)
            self.reload()
        super().showEvent(event)

"""The dock's review actions: accept, reject, redraw, edit, trim, undo, redo, save, discard.

A mixin of ``ReviewDock``. Each action is a public method, so that the buttons, the shortcuts
and the tests drive the same code; unsaved edits are settled (save, discard, keep) here too.
"""

from __future__ import annotations

import contextlib
import enum
import re
from collections.abc import Callable

import shapely
from qgis.core import QgsGeometry, QgsPointXY, QgsVectorLayer
from qgis.PyQt.QtGui import QGuiApplication
from qgis.PyQt.QtWidgets import QMessageBox

from .review_geometry import trim
from .review_model import ACCEPTED, EDITED, REDRAWN, REJECTED, UNSURE

REVIEW_COMMAND = re.compile(r"Review front (-?\d+):")
"""The text of the dock's edit commands (``ReviewLayer.apply``), to find the front undone."""


class UnsavedChoice(enum.Enum):
    SAVE = "save"
    DISCARD = "discard"
    KEEP = "keep"
    """Close the dock and leave the edits in the layer's buffer (QGIS asks on project close)."""
    CANCEL = "cancel"


class ReviewActions:
    """What the labeller does to the current front, and to the layer's edits."""

    def _write(self, edit: Callable[[], None]) -> bool:
        """Run a write to the layer; a refusal (read-only source...) goes to the message bar."""
        self._applying = True
        try:
            edit()
        except (RuntimeError, KeyError) as err:
            self.iface.messageBar().pushCritical("CALFIN review", str(err).strip("'\""))
            return False
        finally:
            self._applying = False
        return True

    def _apply(self, fid: int, action: str, geometry: QgsGeometry | None = None) -> bool:
        if not self._write(lambda: self.review.apply(fid, action, geometry)):
            return False
        self.frontReviewed.emit(fid, action)
        return True

    def _review_current(self, action: str, geometry: QgsGeometry | None = None) -> bool:
        fid = self.queue.current_fid
        if fid is None or not self.start_review() or not self._apply(fid, action, geometry):
            return False
        if self.auto_advance and action in (ACCEPTED, REJECTED, UNSURE):
            self.queue.step_past(fid)
        self._sync()
        return True

    def accept_current(self) -> bool:
        """Accept the current front as it is (an auto pick keeps qual_flag 10/13)."""
        return self._review_current(ACCEPTED)

    def reject_current(self) -> bool:
        return self._review_current(REJECTED)

    def unsure_current(self) -> bool:
        """Mark the current front "unsure" (skip it for now; a comment can say why)."""
        return self._review_current(UNSURE)

    def set_comment(self, text: str, fid: int | None = None) -> bool:
        """Store ``text`` as the comment of front ``fid`` (the current one by default)."""
        fid = self.queue.current_fid if fid is None else fid
        record = None if fid is None else self.queue.record(fid)
        if record is None or record.comment == text.strip():
            return False
        if not self.start_review() or not self._write(lambda: self.review.set_comment(fid, text)):
            return False
        self._sync()
        return True

    def _store_comment(self) -> None:
        """Store what was typed in the comment field for the front it was typed for."""
        if self.comment_edit.isModified() and self._comment_fid is not None:
            self.comment_edit.setModified(False)
            self.set_comment(self.comment_edit.text(), self._comment_fid)

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
        self._editing_front = False
        self._drawing_scene = None
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
        self._show_vertices()

    def start_trim(self) -> None:
        """Activate the map tool that cuts the current front (press: cut, release: keep)."""
        self.trim_tool.layer = self.layer
        self.canvas.setMapTool(self.trim_tool)
        self._show_vertices()

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
        self._show_vertices()
        return True

    def _show_vertices(self) -> None:
        """While the current front is being edited, its vertices are drawn."""
        self._editing_front = True
        self._restyle()

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
        self._store_comment()
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
        self._store_comment()
        if not self.has_unsaved_edits:
            return True
        choice = self.ask_unsaved()
        if choice is UnsavedChoice.CANCEL or (choice is UnsavedChoice.SAVE and not self.save()):
            return False
        if choice is UnsavedChoice.DISCARD:
            self.discard()
        return True

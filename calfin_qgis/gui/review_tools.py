"""Map tools of the review: draw a replacement front, and trim a front at a point.

The tools only capture geometry (in the front layer's CRS) and emit it; the dock applies it,
so that the same public dock methods serve the tools and the tests. Drawing snaps as the
project's snapping options say (Project › Snapping Options), like QGIS's own digitizing.
"""

from __future__ import annotations

from qgis.core import QgsGeometry, QgsPointLocator, QgsPointXY, QgsVectorLayer, QgsWkbTypes
from qgis.gui import (
    QgsMapCanvas,
    QgsMapMouseEvent,
    QgsMapToolEmitPoint,
    QgsRubberBand,
    QgsSnapIndicator,
)
from qgis.PyQt.QtCore import Qt, pyqtSignal
from qgis.PyQt.QtGui import QColor, QKeyEvent

CLICK_TOLERANCE_PX = 4
"""A press and release closer than this are one click, not a drag."""


class _LayerTool(QgsMapToolEmitPoint):
    def __init__(self, canvas: QgsMapCanvas) -> None:
        super().__init__(canvas)
        self.layer: QgsVectorLayer | None = None
        self.band = QgsRubberBand(canvas, QgsWkbTypes.LineGeometry)
        self.band.setColor(QColor(255, 0, 255, 200))
        self.band.setWidth(2)
        self.snap_indicator = QgsSnapIndicator(canvas)

    def _to_layer(self, point: QgsPointXY) -> QgsPointXY:
        return self.toLayerCoordinates(self.layer, point) if self.layer else point

    def _show_snap(self, event: QgsMapMouseEvent) -> None:
        event.snapPoint()
        self.snap_indicator.setMatch(event.mapPointMatch())

    def reset(self) -> None:
        self.band.reset(QgsWkbTypes.LineGeometry)
        self.snap_indicator.setMatch(QgsPointLocator.Match())

    def deactivate(self) -> None:
        self.reset()
        super().deactivate()


class RedrawTool(_LayerTool):
    """Left click adds a vertex, right click or Enter finishes, Backspace drops one, Esc cancels.

    Vertices snap to what the project's snapping options name (e.g. a coastline or rock
    outline layer, or the other fronts); a marker shows the snap under the cursor.
    """

    lineCaptured = pyqtSignal(QgsGeometry)  # noqa: N815 - Qt naming

    def __init__(self, canvas: QgsMapCanvas) -> None:
        super().__init__(canvas)
        self.points: list[QgsPointXY] = []

    def reset(self) -> None:
        self.points = []
        super().reset()

    def canvasMoveEvent(self, event: QgsMapMouseEvent) -> None:  # noqa: N802 - Qt API
        self._show_snap(event)

    def canvasReleaseEvent(self, event: QgsMapMouseEvent) -> None:  # noqa: N802 - Qt API
        if event.button() == Qt.LeftButton:
            point = event.snapPoint()  # the cursor's map point where nothing is in reach
            self.points.append(self._to_layer(point))
            self.band.addPoint(point)
        elif event.button() == Qt.RightButton:
            self.finish()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        if event.key() in (Qt.Key_Return, Qt.Key_Enter):
            self.finish()
        elif event.key() == Qt.Key_Backspace and self.points:
            self.points.pop()
            self.band.removeLastPoint()
        elif event.key() == Qt.Key_Escape:
            self.reset()
        else:
            event.ignore()
            return
        event.accept()

    def finish(self) -> None:
        """Emit the drawn line (two vertices at least) and start over."""
        if len(self.points) >= 2:
            self.lineCaptured.emit(QgsGeometry.fromPolylineXY(self.points))
        self.reset()


class TrimTool(_LayerTool):
    """Press on the front where to cut; release on the part to keep (a click keeps the longer).

    The cut point snaps like the redraw tool's vertices (e.g. to where a rock outline meets
    the front)."""

    trimRequested = pyqtSignal(QgsGeometry, object)  # noqa: N815 - cutter, point or None

    def __init__(self, canvas: QgsMapCanvas) -> None:
        super().__init__(canvas)
        self._press = None
        self._cut: QgsPointXY | None = None

    def canvasPressEvent(self, event: QgsMapMouseEvent) -> None:  # noqa: N802 - Qt API
        if event.button() == Qt.LeftButton:
            self._press, self._cut = event.pos(), event.snapPoint()
            self.band.addPoint(self._cut)

    def canvasMoveEvent(self, event: QgsMapMouseEvent) -> None:  # noqa: N802 - Qt API
        if self._press is None:
            self._show_snap(event)
            return
        self.band.reset(QgsWkbTypes.LineGeometry)
        self.band.addPoint(self._cut)
        self.band.addPoint(self.toMapCoordinates(event.pos()))

    def canvasReleaseEvent(self, event: QgsMapMouseEvent) -> None:  # noqa: N802 - Qt API
        if event.button() != Qt.LeftButton or self._press is None:
            return
        press, cut = self._press, self._to_layer(self._cut)
        self._press = self._cut = None
        self.reset()
        moved = (event.pos() - press).manhattanLength() > CLICK_TOLERANCE_PX
        keep = self._to_layer(self.toMapCoordinates(event.pos())) if moved else None
        self.trimRequested.emit(QgsGeometry.fromPointXY(cut), keep)

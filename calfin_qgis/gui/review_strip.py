"""A small time-series strip of the current glacier in the review dock: each dated front's
position against its date, screened fronts hollow, the current front ringed, so that a spike
is seen at a glance.

Without a box or centreline in the dock, a front's position is its centre projected on the
direction in which the glacier's front centres spread most (their first principal axis),
in map units from their median: a retreat and an advance move along it, a wrong front
usually jumps off the line of its neighbours.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
from qgis.PyQt.QtCore import QPointF, QSize, Qt
from qgis.PyQt.QtGui import QColor, QPainter, QPen
from qgis.PyQt.QtWidgets import QSizePolicy, QWidget

SUSPECT_COLOR = QColor("#d7301f")
POINT_COLOR = QColor("#2b8cbe")


@dataclass(frozen=True)
class StripPoint:
    fid: int
    date: datetime.date
    position: float
    screened: bool


def principal_positions(centres: list[tuple[float, float]]) -> list[float]:
    """Each centre projected on the centres' first principal axis, from their median."""
    xy = np.asarray(centres, dtype=float).reshape(-1, 2)
    if len(xy) < 2:
        return [0.0] * len(xy)
    offsets = xy - np.median(xy, axis=0)
    _, _, axes = np.linalg.svd(offsets - offsets.mean(axis=0), full_matrices=False)
    axis = axes[0] if axes[0].sum() >= 0 else -axes[0]  # one sign, whatever the SVD gives
    return [float(v) for v in offsets @ axis]


class SeriesStrip(QWidget):
    """Positions against dates; ``set_points`` gives them and the current front."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.points: list[StripPoint] = []
        self.current: int | None = None
        self.setMinimumHeight(70)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.setToolTip(
            "The glacier's fronts by date: position along the direction their centres spread "
            "most. Hollow red: screened; ringed: the front under review."
        )

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(240, 70)

    def set_points(self, points: list[StripPoint], current: int | None) -> None:
        self.points, self.current = points, current
        self.setVisible(len(points) > 1)
        self.update()

    def xy(self) -> list[QPointF]:
        """Where each point is drawn (widget pixels)."""
        days = [p.date.toordinal() for p in self.points]
        values = [p.position for p in self.points]
        margin = 8.0
        width, height = self.width() - 2 * margin, self.height() - 2 * margin
        d0, d1 = min(days), max(days)
        v0, v1 = min(values), max(values)
        return [
            QPointF(
                margin + width * ((d - d0) / (d1 - d0) if d1 > d0 else 0.5),
                margin + height * (1 - ((v - v0) / (v1 - v0) if v1 > v0 else 0.5)),
            )
            for d, v in zip(days, values, strict=True)
        ]

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        if len(self.points) < 2:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.fillRect(self.rect(), QColor("white"))
        xy = self.xy()
        painter.setPen(QPen(QColor("#bbbbbb"), 1))
        for a, b in zip(xy, xy[1:], strict=False):
            painter.drawLine(a, b)
        for point, at in zip(self.points, xy, strict=True):
            colour = SUSPECT_COLOR if point.screened else POINT_COLOR
            painter.setPen(QPen(colour, 1.5))
            painter.setBrush(Qt.NoBrush if point.screened else colour)
            painter.drawEllipse(at, 3.0, 3.0)
            if point.fid == self.current:
                painter.setPen(QPen(QColor("black"), 2))
                painter.setBrush(Qt.NoBrush)
                painter.drawEllipse(at, 6.5, 6.5)
        painter.end()

"""The dock's reference layer: fronts of a database (CALFIN, TermPicks, AutoTerm) or another
fronts layer, drawn beside the front under review for comparison — those of the same image,
else of the same glacier and date. A mixin of ``ReviewDock``."""

from __future__ import annotations

from qgis.core import QgsGeometry, QgsMapLayerProxyModel, QgsWkbTypes
from qgis.gui import QgsMapLayerComboBox, QgsRubberBand
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor
from qgis.PyQt.QtWidgets import QLabel

from ..adapter.fronts import source_fronts

REFERENCE_COLOUR = QColor(230, 0, 200)
"""Magenta: apart from the review colours (``review_style``)."""


class ReviewReference:
    """A reference layer picked in the dock, and its fronts drawn beside the current one."""

    def _build_reference_row(self, form, body) -> None:
        self.reference_combo = QgsMapLayerComboBox(body)
        self.reference_combo.setFilters(
            QgsMapLayerProxyModel.LineLayer | QgsMapLayerProxyModel.PolygonLayer
        )
        self.reference_combo.setAllowEmptyLayer(True)
        self.reference_combo.setLayer(None)
        self.reference_combo.setToolTip(
            "Fronts to compare with (ours, CALFIN, TermPicks, AutoTerm): those of the same "
            "image, else of the same glacier and date, are drawn in magenta"
        )
        self.reference_combo.layerChanged.connect(self.set_reference_layer)
        form.addRow("Reference", self.reference_combo)
        self.reference_label = QLabel(body)
        self.reference_label.setWordWrap(True)
        form.addRow("", self.reference_label)
        self.reference_band = QgsRubberBand(self.canvas, QgsWkbTypes.LineGeometry)
        self.reference_band.setColor(REFERENCE_COLOUR)
        self.reference_band.setWidth(2)
        self.reference_band.setLineStyle(Qt.DashLine)
        self._reference = None
        self._reference_crs = None

    def set_reference_layer(self, layer) -> None:
        """Read the reference layer's fronts once (any known layout); None: no reference."""
        from ..core.errors import InputError

        self._reference = None
        self.reference_label.setText("")
        if layer is not None:
            try:
                self._reference = source_fronts(layer).records
                self._reference_crs = layer.crs()
            except InputError as err:
                self.reference_label.setText(str(err))
        self._show_reference()

    def _show_reference(self) -> None:
        """Draw the current front's reference fronts, and say how they paired."""
        from ..core.evaluation.pairing import matching_references

        self.reference_band.reset(QgsWkbTypes.LineGeometry)
        record = self.queue.current
        if self._reference is None or record is None:
            return
        found, how = matching_references(
            self._reference, record.image_id, record.glacier_id, record.date
        )
        for reference in found:
            geometry = QgsGeometry()
            geometry.fromWkb(reference["geometry"].wkb)
            self.reference_band.addGeometry(geometry, self._reference_crs)
        self.reference_label.setText(
            f"{len(found)} reference front(s), paired by {how}" if found else "No reference front"
        )

    def _clear_reference(self) -> None:
        """Take the reference drawing off the map canvas, which outlives the dock."""
        import contextlib

        with contextlib.suppress(RuntimeError):
            self.canvas.scene().removeItem(self.reference_band)

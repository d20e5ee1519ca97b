"""How fronts are drawn while their layer is under review: a style of the dock's own.

The front under review must stand out on any scene (dark water, bright ice, clouds): a thick
line in a saturated colour that says its confidence, on a dark halo, with its vertices while it
is being edited. The other fronts of its scene are faint, and the fronts of the neighbouring
dates of the same glacier can be shown dashed for comparison; all other fronts are hidden, so
that a time series of one glacier does not pile up on the scene.

The style is added to the layer's style manager under ``REVIEW_STYLE`` and made current while
the layer is under review; the layer's own style is made current again afterwards, untouched.
"""

from __future__ import annotations

import contextlib

from qgis.core import (
    QgsFeatureRequest,
    QgsLineSymbol,
    QgsMarkerLineSymbolLayer,
    QgsMarkerSymbol,
    QgsRuleBasedRenderer,
    QgsSimpleLineSymbolLayer,
    QgsTemplatedLineSymbolLayerBase,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor

from calfin_qgis.core.schema import LOW_CONFIDENCE

REVIEW_STYLE = "CALFIN review"
"""The name of the dock's style in the layer's style manager (Layer Properties › Style)."""
NO_CONFIDENCE_COLOR = QColor(0, 255, 255)
"""Cyan: a front without a confidence (drawn by hand)."""
HALO_COLOR = QColor(0, 0, 0, 210)
SAME_SCENE_COLOR = QColor(255, 255, 255, 170)
SAME_SCENE_HALO = QColor(0, 0, 0, 110)
EARLIER_COLOR = QColor(60, 140, 255)
LATER_COLOR = QColor(255, 140, 0)
CURRENT_WIDTH_MM = 1.2
HALO_WIDTH_MM = 2.4
VERTEX_SIZE_MM = 1.0


def confidence_color(confidence: float | None) -> QColor:
    """Red at confidence 0, yellow at ``LOW_CONFIDENCE``, green at 1; cyan without one."""
    if confidence is None:
        return QColor(NO_CONFIDENCE_COLOR)
    share = min(max(confidence, 0.0), 1.0)
    # Hue 0° (red) … 60° (yellow) at the low-confidence limit … 120° (green).
    if share < LOW_CONFIDENCE:
        hue = 60 * share / LOW_CONFIDENCE
    else:
        hue = 60 + 60 * (share - LOW_CONFIDENCE) / (1 - LOW_CONFIDENCE)
    return QColor.fromHsvF(hue / 360, 1.0, 1.0)


def _line(color: QColor, width_mm: float, pen: Qt.PenStyle = Qt.SolidLine):
    layer = QgsSimpleLineSymbolLayer(color, width_mm)
    layer.setPenStyle(pen)
    layer.setPenCapStyle(Qt.RoundCap)
    layer.setPenJoinStyle(Qt.RoundJoin)
    return layer


def _symbol(*layers) -> QgsLineSymbol:
    """A line symbol of ``layers`` (appended one by one: the symbol takes ownership then)."""
    symbol = QgsLineSymbol()
    symbol.changeSymbolLayer(0, layers[0])
    for layer in layers[1:]:
        symbol.appendSymbolLayer(layer)
    return symbol


def current_symbol(confidence: float | None, vertices: bool) -> QgsLineSymbol:
    """The front under review: a dark halo, the confidence colour on it, and its vertices."""
    layers = [
        _line(HALO_COLOR, HALO_WIDTH_MM),
        _line(confidence_color(confidence), CURRENT_WIDTH_MM),
    ]
    if vertices:
        marks = QgsMarkerLineSymbolLayer()
        marks.setPlacement(QgsTemplatedLineSymbolLayerBase.Vertex)
        marks.setSubSymbol(
            QgsMarkerSymbol.createSimple(
                {
                    "name": "circle",
                    "color": "255,255,255,255",
                    "outline_color": "0,0,0,255",
                    "outline_width": "0.1",
                    "size": str(VERTEX_SIZE_MM),
                }
            )
        )
        layers.append(marks)
    return _symbol(*layers)


def _ids(fids: list[int]) -> str:
    return f"$id IN ({', '.join(str(fid) for fid in fids)})"


def review_renderer(
    fid: int | None,
    confidence: float | None,
    same_scene: list[int],
    earlier: list[int] = (),
    later: list[int] = (),
    vertices: bool = False,
) -> QgsRuleBasedRenderer:
    """Draw front ``fid`` bold, ``same_scene`` faint, ``earlier``/``later`` dashed, nothing else
    (``fid`` None: no front under review, as while one is drawn for a scene without any)."""
    root = QgsRuleBasedRenderer.Rule(None)
    rules = (
        (
            _symbol(_line(SAME_SCENE_HALO, 0.9), _line(SAME_SCENE_COLOR, 0.4)),
            same_scene,
            "other fronts of this scene",
        ),
        (_symbol(_line(EARLIER_COLOR, 0.7, Qt.DashLine)), earlier, "earlier date"),
        (_symbol(_line(LATER_COLOR, 0.7, Qt.DashLine)), later, "later date"),
        (current_symbol(confidence, vertices), [] if fid is None else [fid], "front under review"),
    )
    for symbol, fids, label in rules:
        if fids:
            root.appendChild(QgsRuleBasedRenderer.Rule(symbol, 0, 0, _ids(list(fids)), label))
    renderer = QgsRuleBasedRenderer(root)
    if fid is None:
        return renderer
    # The front under review last, on top of the others.
    order = QgsFeatureRequest.OrderByClause(f"$id = {fid}", True)
    renderer.setOrderBy(QgsFeatureRequest.OrderBy([order]))
    renderer.setOrderByEnabled(True)
    return renderer


class ReviewStyle:
    """The dock's style on one layer: made current on creation, the layer's own on release."""

    def __init__(self, layer: QgsVectorLayer) -> None:
        self.layer = layer
        manager = layer.styleManager()
        current = manager.currentStyle()
        others = [name for name in manager.styles() if name != REVIEW_STYLE]
        # A review style left current (QGIS closed mid-review): the layer's own is another one.
        self.own_style = current if current != REVIEW_STYLE or not others else others[0]
        if REVIEW_STYLE not in manager.styles():
            manager.addStyleFromLayer(REVIEW_STYLE)
        manager.setCurrentStyle(REVIEW_STYLE)

    def show(self, renderer: QgsRuleBasedRenderer) -> None:
        self.layer.setRenderer(renderer)
        self.layer.triggerRepaint()

    def release(self) -> None:
        """Make the layer's own style current again and drop the review style."""
        # The layer may be deleted already (removed from the project).
        with contextlib.suppress(RuntimeError):
            manager = self.layer.styleManager()
            if self.own_style != REVIEW_STYLE and manager.setCurrentStyle(self.own_style):
                manager.removeStyle(REVIEW_STYLE)
            self.layer.triggerRepaint()

"""How far to trust a front: its expected distance from the true front (``uncertainty_m``).

Built from what the model gives, across the front (``REACH_PX`` to either side of it,
along its normals) and averaged along it:

- the spread: where the ensemble's members and the test-time views (``network.views``)
  disagree on ice, summed across the front, is the mean distance between two predictions'
  ice edges (AutoTerm's area between Monte-Carlo runs ÷ length, with the ensemble and the
  views as the runs);
- the edge's blur: the edge probability summed across the front is the width of the edge
  ridge (about 3 px for a crisp front, more where it smears or a second ridge runs
  beside it), weighted by how weak the ridge is along the line (1 - confidence);
- a floor of one pixel: the grid itself.

Their sum, times ``SCALE`` (calibrated on the held-out glacier by cross-validation,
``scripts/calibrate_uncertainty.py``; README "How far to trust a front"), in map units.
The form was fixed before the calibration measured anything; only ``SCALE`` was fitted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

REACH_PX = 32
"""How far to either side of the front the spread and the blur are summed: disagreements
further out (over 1.3 km at 40 m) are not seen."""
FLOOR_PX = 1.0
SCALE = 1.0
"""Fitted by ``scripts/calibrate_uncertainty.py`` (leave-one-date-out on held-out
Jakobshavn): the factor that makes about 70 % of fronts lie within their uncertainty."""


@dataclass(frozen=True)
class Evidence:
    """What the prediction says about one front, in pixels of the segmentation grid."""

    spread_px: float
    edge_px: float
    confidence: float

    @property
    def raw_px(self) -> float:
        """The unscaled uncertainty: floor + spread + blur of a weak edge."""
        return FLOOR_PX + self.spread_px + self.edge_px * (1.0 - self.confidence)


def normals(pixels: np.ndarray, smooth: int = 7) -> np.ndarray:
    """Unit normals (row, col) of a pixel path, from its tangent smoothed over ``smooth``
    pixels (an 8-connected path turns by 45° at every step)."""
    path = ndimage.uniform_filter1d(pixels.astype(np.float64), smooth, axis=0, mode="nearest")
    tangent = np.gradient(path, axis=0) if len(pixels) > 1 else np.array([[0.0, 1.0]])
    tangent /= np.maximum(np.linalg.norm(tangent, axis=1, keepdims=True), 1e-9)
    return np.column_stack([-tangent[:, 1], tangent[:, 0]])


def across(pixels: np.ndarray, image: np.ndarray) -> np.ndarray:
    """``image`` summed along each path pixel's normal, ``REACH_PX`` to either side (NaN and
    outside the image count as 0): one value per pixel, in pixels."""
    steps = np.arange(-REACH_PX, REACH_PX + 1, dtype=np.float64)
    normal = normals(pixels)
    rows = pixels[:, :1] + steps * normal[:, :1]
    cols = pixels[:, 1:] + steps * normal[:, 1:]
    values = ndimage.map_coordinates(
        np.nan_to_num(image), [rows, cols], order=1, mode="constant", cval=0.0
    )
    return values.sum(axis=1)


def evidence(pixels: np.ndarray, edge: np.ndarray, spread: np.ndarray) -> Evidence:
    """The spread and the edge's blur across a front's pixel path (row, col indices of
    ``edge``, the 8-connected path ``extract`` finds), averaged along it.

    Across, not around: the model's ice output is unconstrained on rock (its training
    ignored pixels the front does not cross), so the members' disagreement there, beside
    the front's ends, says nothing about where the front lies.
    """
    rows, cols = pixels[:, 0].astype(np.intp), pixels[:, 1].astype(np.intp)
    return Evidence(
        spread_px=float(across(pixels, spread).mean()),
        edge_px=float(across(pixels, edge).mean()),
        confidence=float(np.nan_to_num(edge[rows, cols]).mean()),
    )


def pixel_size(geotransform) -> float:
    """The side of a (square-equivalent) pixel in map units."""
    g = geotransform
    return float(np.sqrt(abs(g[1] * g[5] - g[2] * g[4])))


def uncertainty(pixels: np.ndarray, edge: np.ndarray, spread: np.ndarray, geotransform) -> float:
    """The front's expected distance from the true front, in map units (> 0)."""
    return SCALE * evidence(pixels, edge, spread).raw_px * pixel_size(geotransform)

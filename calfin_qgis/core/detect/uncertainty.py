"""How far to trust a front: its expected distance from the true front (``uncertainty_m``).

Built from what the model gives, across the front (``REACH_PX`` to either side of it,
along its normals) and averaged along it:

- the spread: where the ensemble's members and the test-time views (``network.views``)
  disagree on ice, summed across the front, is the mean distance between two predictions'
  ice edges (AutoTerm's area between Monte-Carlo runs ÷ length, with the ensemble and the
  views as the runs);
- how sharp the edge is: the mean edge probability along the line (``confidence``); the
  fronts far off on the held-out glacier are the ones with a weak edge.

    uncertainty = scale × (1 + spread_px)^spread_power × exp(weakness_rate × (1 - confidence))

in pixels of the segmentation grid, then in map units. The three constants, one set per
number of views, come from a least-squares fit of log(actual error) on held-out Jakobshavn
(the validation twin), the scale then raised so that ``TARGET`` of the fronts lie within
their uncertainty; they were fitted and scored by cross-validation
(``scripts/calibrate_uncertainty.py``; README "How far to trust a front"). The figures
published are the cross-validated ones; the constants here are fitted on all the fronts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

REACH_PX = 32
"""How far to either side of the front the spread is summed: disagreements further out
(over 1.3 km at 40 m) are not seen."""
TARGET = 0.7
"""The share of fronts meant to lie within their uncertainty."""


@dataclass(frozen=True)
class Calibration:
    """The constants of the uncertainty (module docstring)."""

    scale: float
    spread_power: float
    weakness_rate: float

    def expected_px(self, spread_px: float, confidence: float) -> float:
        weakness = 1.0 - min(max(confidence, 0.0), 1.0)
        growth = (1.0 + spread_px) ** self.spread_power * np.exp(self.weakness_rate * weakness)
        return float(self.scale * growth)


CALIBRATIONS = {
    1: Calibration(scale=0.552, spread_power=0.503, weakness_rate=5.236),
    2: Calibration(scale=0.413, spread_power=0.507, weakness_rate=4.733),
    8: Calibration(scale=0.164, spread_power=0.835, weakness_rate=3.187),
}
"""Per number of views (more views, more spread): fitted by
``scripts/calibrate_uncertainty.py --views 1 2 8`` on all held-out Jakobshavn fronts."""


@dataclass(frozen=True)
class Evidence:
    """What the prediction says about one front, in pixels of the segmentation grid."""

    spread_px: float
    confidence: float


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
    # only the front's surroundings are read: a whole scene's window is large
    r0, c0 = (max(0, int(np.floor(a.min())) - 1) for a in (rows, cols))
    r1, c1 = (int(np.ceil(a.max())) + 2 for a in (rows, cols))
    near = np.nan_to_num(image[r0:r1, c0:c1])
    values = ndimage.map_coordinates(
        near, [rows - r0, cols - c0], order=1, mode="constant", cval=0.0
    )
    return values.sum(axis=1)


def evidence(pixels: np.ndarray, edge: np.ndarray, spread: np.ndarray) -> Evidence:
    """The spread across a front's pixel path (row, col indices of ``edge``, the
    8-connected path ``extract`` finds), averaged along it, and its mean edge probability.

    Across, not around: the model's ice output is unconstrained on rock (its training
    ignored pixels the front does not cross), so the members' disagreement there, beside
    the front's ends, says nothing about where the front lies.
    """
    rows, cols = pixels[:, 0].astype(np.intp), pixels[:, 1].astype(np.intp)
    return Evidence(
        spread_px=float(across(pixels, spread).mean()),
        confidence=float(np.nan_to_num(edge[rows, cols]).mean()),
    )


def pixel_size(geotransform) -> float:
    """The side of a (square-equivalent) pixel in map units."""
    g = geotransform
    return float(np.sqrt(abs(g[1] * g[5] - g[2] * g[4])))


def uncertainty(
    pixels: np.ndarray, edge: np.ndarray, spread: np.ndarray, geotransform, views: int
) -> float:
    """The front's expected distance from the true front, in map units (> 0), for a
    prediction averaged over ``views`` views."""
    seen = evidence(pixels, edge, spread)
    pixels_off = CALIBRATIONS[views].expected_px(seen.spread_px, seen.confidence)
    return pixels_off * pixel_size(geotransform)

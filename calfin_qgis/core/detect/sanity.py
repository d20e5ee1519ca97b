"""Does the input look like a satellite band of a calving front? Confident nonsense is worse
than an error: a colour photograph gave five "fronts", two of them flagged as good.

Three signs, each a warning that names the fix; any of them makes every front of the run
low confidence (qual_flag 13), never 10:

- a colour image (red, green and blue bands that differ) of which one band is read as if it
  were a satellite band (FrontLearning's PNGs repeat one grey value in R, G and B: fine);
- a photo format (JPEG...) without georeference;
- no ice/ocean split in the model's mask (``mask_warning``).
"""

from __future__ import annotations

import os

import numpy as np
from osgeo import gdal
from scipy import ndimage

from ..geo.rasters import Scene

PHOTO_DRIVERS = {"JPEG": "JPEG", "WEBP": "WebP", "GIF": "GIF", "BMP": "BMP", "HEIF": "HEIF"}
"""GDAL drivers of photo formats (name shown to the user); satellite products are not in them."""

COLOUR_DIFFERENCE = 0.02
"""Bands differ when their mean absolute difference exceeds this share of the value range;
JPEG's chroma noise on a grey image stays far below it."""

MIN_DECISIVE = 0.55
"""Least mean |2 p - 1| of the ice probability over the window (how sure the mask is).
Measured with the shipped model on all 123 FrontLearning scenes: 0.59-0.92; with the
validation model on the 30 Jakobshavn scenes it never saw: 0.71-0.87; skimage photographs
saved as JPEG in which a "front" was found: 0.41-0.83 (coins, horse, logo, camera, astronaut
below this)."""

MIN_TWO_SIDES = 0.70
"""Least share of the ice side, and of the ocean side, in its largest 8-connected piece.
The same FrontLearning scenes 0.75-1.0, the held-out ones 0.78-1.0 (one ice side, one
ocean side); the photographs with a "front" 0.27-0.92 (astronaut, brick, camera, chelsea,
coffee, horse, logo, moon, rocket below this: ice and ocean scattered in pieces). Together
the two catch 11 of those 12 photographs and none of the satellite scenes."""

MASK_STATS_PIXELS = 4_000_000
"""Larger windows are decimated for the mask statistics."""


def colour_warning(ds: gdal.Dataset, scene: Scene) -> str | None:
    """A warning when the band read is one colour of an RGB image whose colours differ."""
    colours = (gdal.GCI_RedBand, gdal.GCI_GreenBand, gdal.GCI_BlueBand)
    if ds.RasterCount < 3 or ds.GetRasterBand(scene.band).GetColorInterpretation() not in colours:
        return None
    step = max(1, int(np.ceil(np.sqrt(scene.width * scene.height / MASK_STATS_PIXELS))))
    size = {"buf_xsize": max(1, scene.width // step), "buf_ysize": max(1, scene.height // step)}
    bands = [
        ds.GetRasterBand(i).ReadAsArray(**size).astype(np.float64)
        for i in range(1, 4)
        if ds.GetRasterBand(i).GetColorInterpretation() in colours
    ]
    low, high = np.percentile(bands[0], (1, 99))
    spread = max(high - low, 1e-9)
    if max(np.abs(b - bands[0]).mean() for b in bands[1:]) <= COLOUR_DIFFERENCE * spread:
        return None
    return (
        f"{os.path.basename(scene.path)} is a colour image (red, green and blue bands that "
        f"differ), and only band {scene.band} is read, as if it were one satellite band: a "
        "photograph or a colour composite gives confident nonsense. Give one band of a "
        "Landsat or Sentinel-2 product (panchromatic B8, green/blue B2, or near-infrared) as "
        "a GeoTIFF; the fronts of this run are flagged low confidence (qual_flag 13)."
    )


def photo_warning(ds: gdal.Dataset, scene: Scene) -> str | None:
    """A warning for a photo format without georeference (a picture, not a product band)."""
    name = PHOTO_DRIVERS.get(ds.GetDriver().ShortName)
    if name is None or scene.georeferenced:
        return None
    return (
        f"{os.path.basename(scene.path)} is a {name} image without georeference, which looks "
        "like a photograph rather than a satellite band. Give a band of a Landsat or "
        "Sentinel-2 product (GeoTIFF, e.g. B8 or B2); the fronts of this run are flagged "
        "low confidence (qual_flag 13)."
    )


def input_warnings(scene: Scene) -> list[str]:
    """The warnings about the scene file itself (colours, format); [] for a satellite band."""
    if scene.preprocessed:
        return []
    ds = gdal.Open(scene.path)
    warnings = [colour_warning(ds, scene), photo_warning(ds, scene)]
    return [warning for warning in warnings if warning]


def largest_share(mask: np.ndarray) -> float:
    """The share of ``mask``'s pixels in its largest 8-connected piece (1.0 when empty)."""
    labels, count = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    if count == 0:
        return 1.0
    sizes = np.bincount(labels.ravel())[1:]
    return float(sizes.max() / sizes.sum())


def mask_stats(ice: np.ndarray, valid: np.ndarray | None = None) -> tuple[float, float]:
    """(decisiveness, two-sidedness) of an ice probability: mean |2 p - 1| over the valid
    pixels, and the smaller of the largest-piece shares of the ice and the ocean side."""
    step = max(1, int(np.ceil(np.sqrt(ice.size / MASK_STATS_PIXELS))))
    ice = ice[::step, ::step]
    ok = np.isfinite(ice)
    if valid is not None:
        ok &= valid[::step, ::step]
    if not ok.any():
        return 1.0, 1.0
    decisive = float(np.abs(2.0 * ice[ok] - 1.0).mean())
    ice_side = ok & (ice > 0.5)
    two_sides = min(largest_share(ice_side), largest_share(ok & ~ice_side))
    return decisive, two_sides


def mask_warning(ice: np.ndarray, valid: np.ndarray | None = None) -> str | None:
    """A warning when the model's ice probability does not split the window into one ice
    side and one ocean side (see ``MIN_DECISIVE`` and ``MIN_TWO_SIDES`` for the measure)."""
    decisive, two_sides = mask_stats(ice, valid)
    if decisive >= MIN_DECISIVE and two_sides >= MIN_TWO_SIDES:
        return None
    return (
        "The model's ice/ocean mask does not split the scene into an ice side and an ocean "
        f"side (certainty {decisive:.2f}, largest pieces {two_sides:.2f}; satellite scenes of "
        f"a calving front give at least {MIN_DECISIVE:g} and {MIN_TWO_SIDES:g}): this does not "
        "look like a satellite band of a glacier front. Check the scene and band, and give a "
        "search-area polygon (CLIP) around the front; the fronts of this run are flagged low "
        "confidence (qual_flag 13)."
    )

"""Front-position error and overlap scores, as reported by CALFIN and the CaFFe benchmark.

Both lines are compared as 1-px rasters on the image grid: the distance from every front
pixel to the nearest pixel of the other front, pooled both ways, is CALFIN's mean/median
front error; a dilated-line IoU gives a tolerance-aware overlap score next to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
import shapely
from scipy.ndimage import distance_transform_edt
from skimage.draw import line as draw_line
from skimage.morphology import binary_dilation

from calfin_qgis.core.detect.extract import map_to_pixel


def rasterize_lines(
    lines: Iterable[shapely.LineString | shapely.MultiLineString],
    shape: tuple[int, int],
    geotransform: tuple[float, ...],
) -> np.ndarray:
    """Burn map-coordinate lines into a bool grid, 1 px wide, clipped to the grid."""
    out = np.zeros(shape, dtype=bool)
    height, width = shape
    for part in shapely.get_parts(list(lines)):
        xy = shapely.get_coordinates(part)
        if len(xy) == 0:
            continue
        rows, cols = map_to_pixel(xy[:, 0], xy[:, 1], geotransform)
        # Clip in pixel space (with a 1 px margin) so that far-off vertices cost nothing.
        clipped = shapely.clip_by_rect(
            shapely.LineString(np.column_stack([rows, cols])), -1, -1, height + 1, width + 1
        )
        for piece in shapely.get_parts(clipped):
            vertices = np.floor(shapely.get_coordinates(piece)).astype(np.int64)
            if len(vertices) == 1:
                vertices = np.repeat(vertices, 2, axis=0)
            for (r0, c0), (r1, c1) in pairwise(vertices):
                rr, cc = draw_line(r0, c0, r1, c1)
                inside = (rr >= 0) & (rr < height) & (cc >= 0) & (cc < width)
                out[rr[inside], cc[inside]] = True
    return out


def front_distances(pred: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Pixel distances pred→nearest ref, then ref→nearest pred; empty if either is empty."""
    pred = np.asarray(pred, dtype=bool)
    ref = np.asarray(ref, dtype=bool)
    if not pred.any() or not ref.any():
        return np.empty(0, dtype=np.float64)
    to_ref = distance_transform_edt(~ref)[pred]
    to_pred = distance_transform_edt(~pred)[ref]
    return np.concatenate([to_ref, to_pred])


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.count_nonzero(a | b)
    return np.count_nonzero(a & b) / union if union else float("nan")


def line_iou(pred: np.ndarray, ref: np.ndarray, width: int = 3) -> float:
    """IoU of both lines dilated to ``width`` px, so that a 1 px shift is not a total miss."""
    footprint = np.ones((width, width), dtype=bool)
    return _iou(
        binary_dilation(np.asarray(pred, dtype=bool), footprint),
        binary_dilation(np.asarray(ref, dtype=bool), footprint),
    )


def mask_iou(pred: np.ndarray, ref: np.ndarray, valid: np.ndarray | None = None) -> float:
    """IoU of the True class (ice) over the valid pixels; NaN if neither has any."""
    pred = np.asarray(pred, dtype=bool)
    ref = np.asarray(ref, dtype=bool)
    if valid is not None:
        valid = np.asarray(valid, dtype=bool)
        pred, ref = pred & valid, ref & valid
    return _iou(pred, ref)


@dataclass(frozen=True)
class ImageScore:
    """One image's front error in pixels; ``found`` is False when nothing was predicted."""

    image_id: str
    mean_px: float
    median_px: float
    n_pixels: int
    line_iou: float
    found: bool
    pixel_size_m: float | None
    distances_px: np.ndarray = field(repr=False)
    mask_iou: float = float("nan")
    """IoU of the ice masks where the fronts close a glacier polygon (``masks``), else NaN."""
    bias_m: float | None = None
    """Our front's mean signed distance from the reference's: + ahead, - behind (``masks``)."""


def _mean_median(distances: np.ndarray) -> tuple[float, float]:
    if distances.size == 0:
        return float("nan"), float("nan")
    return float(distances.mean()), float(np.median(distances))


def score_image(
    image_id: str,
    pred_lines_raster: np.ndarray,
    ref_raster: np.ndarray,
    pixel_size_m: float | None = None,
) -> ImageScore:
    """Score one image's rasterized prediction against its rasterized reference."""
    distances = front_distances(pred_lines_raster, ref_raster)
    mean, median = _mean_median(distances)
    found = bool(np.any(pred_lines_raster))
    return ImageScore(
        image_id=image_id,
        mean_px=mean,
        median_px=median,
        n_pixels=int(distances.size),
        # like the distances: undefined without a front (the no-front count covers it)
        line_iou=line_iou(pred_lines_raster, ref_raster) if found else float("nan"),
        found=found,
        pixel_size_m=pixel_size_m,
        distances_px=distances,
    )


@dataclass(frozen=True)
class Summary:
    """A data set's scores: per-pixel distances pooled over images, as CALFIN reports them."""

    n_images: int
    n_no_front: int
    mean_px: float
    median_px: float
    mean_m: float | None
    median_m: float | None
    line_iou: float
    mask_iou: float = float("nan")
    """Mean of the images' mask IoU, over those that have one."""


def summarize(scores: Sequence[ImageScore]) -> Summary:
    """Pool the distances of all images with a front; metres only if every one has a size."""
    found = [s for s in scores if s.found]
    pooled = np.concatenate([s.distances_px for s in found] or [np.empty(0)])
    mean_px, median_px = _mean_median(pooled)
    mean_m = median_m = None
    if found and all(s.pixel_size_m is not None for s in found):
        mean_m, median_m = _mean_median(
            np.concatenate([s.distances_px * s.pixel_size_m for s in found])
        )
    ious = np.array([s.line_iou for s in found], dtype=np.float64)
    ious = ious[~np.isnan(ious)]
    masks = np.array([s.mask_iou for s in found], dtype=np.float64)
    masks = masks[~np.isnan(masks)]
    return Summary(
        n_images=len(scores),
        n_no_front=len(scores) - len(found),
        mean_px=mean_px,
        median_px=median_px,
        mean_m=mean_m,
        median_m=median_m,
        line_iou=float(ious.mean()) if ious.size else float("nan"),
        mask_iou=float(masks.mean()) if masks.size else float("nan"),
    )

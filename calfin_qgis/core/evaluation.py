"""Scoring detected front lines against reference lines matched by image id.

Both sets are rasterised on a common north-up grid of the given pixel size covering each
pair, then scored with the CALFIN distance (``metrics``). References with no detection
count as "no front" rather than being dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import shapely

from .errors import InputError
from .metrics import ImageScore, Summary, rasterize_lines, score_image, summarize

GRID_MARGIN_PX = 5


def pair_grid(geometries: Sequence, pixel_size: float) -> tuple[tuple[int, int], tuple]:
    """(shape, geotransform) of a north-up grid covering ``geometries`` with a margin."""
    minx, miny, maxx, maxy = shapely.total_bounds(list(geometries))
    # Half a pixel more: vertices on the scenes' pixel centres (as detected fronts are) then
    # fall on cell centres, not on cell edges where a rounding error flips the cell.
    pad = (GRID_MARGIN_PX + 0.5) * pixel_size
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    width = int(np.ceil((maxx - minx) / pixel_size))
    height = int(np.ceil((maxy - miny) / pixel_size))
    return (height, width), (minx, pixel_size, 0.0, maxy, 0.0, -pixel_size)


def evaluate(
    detected: Mapping[str, Sequence],
    reference: Mapping[str, Sequence],
    pixel_size: float,
    metres_per_unit: float | None = 1.0,
) -> tuple[list[ImageScore], Summary]:
    """Score every reference image id; ``detected`` may lack ids (no front found)."""
    if pixel_size <= 0:
        raise InputError("The pixel size must be positive (the scenes' resolution, e.g. 30 m).")
    if not any(g is not None and not g.is_empty for refs in reference.values() for g in refs):
        raise InputError(
            "The reference layer holds no front lines. Choose the layer of reference "
            "(manually picked) fronts."
        )
    matched = set(detected) & set(reference)
    if reference and not matched and detected:
        raise InputError(
            "No image id of the detected fronts matches one of the reference fronts. Check "
            f"the id field (detected e.g. '{next(iter(detected))}', reference e.g. "
            f"'{next(iter(reference))}')."
        )
    scores = []
    for image_id in sorted(reference):
        refs = [g for g in reference[image_id] if g is not None and not g.is_empty]
        preds = [g for g in detected.get(image_id, []) if g is not None and not g.is_empty]
        if not refs:
            continue
        shape, gt = pair_grid(refs + preds, pixel_size)
        if shape[0] * shape[1] > 50_000_000:
            raise InputError(
                f"Fronts of '{image_id}' lie too far apart for a {pixel_size} grid. Check the "
                "CRS of both layers and the pixel size."
            )
        scores.append(
            score_image(
                image_id,
                rasterize_lines(preds, shape, gt),
                rasterize_lines(refs, shape, gt),
                pixel_size * metres_per_unit if metres_per_unit else None,
            )
        )
    return scores, summarize(scores)

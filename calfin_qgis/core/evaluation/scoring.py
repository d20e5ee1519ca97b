"""Scoring detected front lines against reference lines matched by image id.

Both sets are rasterised on a common north-up grid of the given pixel size covering each
pair, then scored with the CALFIN distance (``metrics``). References with no detection
count as "no front" rather than being dropped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import shapely

from ..errors import InputError
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
    mask_scorer: Callable[[str, list, list], object] | None = None,
) -> tuple[list[ImageScore], Summary, list[str]]:
    """Score every reference image id; ``detected`` may lack ids (no front found).
    ``mask_scorer(key, detected lines, reference lines)`` gives a pair's ``masks.MaskScore``
    (or None), for the mask IoU and the bias.

    Returns the scores, their summary and notes for the user: what was left out and why
    (detections without a reference, references without a line, fronts too far apart).
    """
    lines = _reference_lines(detected, reference, pixel_size)
    notes = _left_out(detected, reference, lines)
    scores = []
    for image_id in sorted(i for i, refs in lines.items() if refs):
        refs = lines[image_id]
        preds = [g for g in detected.get(image_id, []) if g is not None and not g.is_empty]
        shape, gt = pair_grid(refs + preds, pixel_size)
        if shape[0] * shape[1] > 50_000_000:
            notes.append(
                f"The fronts of '{image_id}' lie too far apart for a {pixel_size:g} grid "
                f"({shape[1]} x {shape[0]} cells): left out. Check both layers' CRS and the "
                "pixel size, and whether one id holds fronts of several glaciers."
            )
            continue
        score = score_image(
            image_id,
            rasterize_lines(preds, shape, gt),
            rasterize_lines(refs, shape, gt),
            pixel_size * metres_per_unit if metres_per_unit else None,
        )
        masked = mask_scorer(image_id, preds, refs) if mask_scorer and preds else None
        if masked is not None:
            score = dataclasses.replace(score, mask_iou=masked.mask_iou, bias_m=masked.bias_m)
        scores.append(score)
    return scores, summarize(scores), notes


def _reference_lines(
    detected: Mapping[str, Sequence], reference: Mapping[str, Sequence], pixel_size: float
) -> dict[str, list]:
    """The reference's non-empty lines by image id, once the inputs can be scored at all: a
    positive pixel size, a reference with lines, an image id both share."""
    if pixel_size <= 0:
        raise InputError("The pixel size must be positive (the scenes' resolution, e.g. 30 m).")
    lines = {i: [g for g in gs if g is not None and not g.is_empty] for i, gs in reference.items()}
    if not any(lines.values()):
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
    return lines


def _left_out(
    detected: Mapping[str, Sequence], reference: Mapping[str, Sequence], lines: dict[str, list]
) -> list[str]:
    """Notes on the images left out: detections without a reference, references without
    a line."""
    notes = []
    unmatched = sorted(set(detected) - set(reference))
    if unmatched:
        notes.append(
            f"{len(unmatched)} detected image(s) have no reference front and are left out "
            f"(e.g. '{unmatched[0]}'; reference ids look like '{sorted(reference)[0]}')."
        )
    empty = sorted(i for i, refs in lines.items() if not refs)
    if empty:
        notes.append(
            f"{len(empty)} reference image(s) hold no line and are left out (e.g. '{empty[0]}')."
        )
    return notes


def table_rows(
    scores: Sequence[ImageScore],
    glacier_date: Mapping[str, tuple[str, object]],
    how: Mapping[str, str],
) -> list[dict]:
    """The rows of ``schema.EVALUATION_FIELDS``, one per image; ``glacier_date`` and ``how``
    (image id → (glacier id, date) and how it was paired) come from the pairing."""
    rows = []
    for s in scores:
        glacier, date = glacier_date.get(s.image_id, ("", None))
        rows.append(
            {
                "image_id": s.image_id,
                "found": int(s.found),
                "mean_px": s.mean_px,
                "median_px": s.median_px,
                "mean_m": s.mean_px * s.pixel_size_m if s.pixel_size_m else None,
                "median_m": s.median_px * s.pixel_size_m if s.pixel_size_m else None,
                "line_iou": s.line_iou,
                "n_pixels": s.n_pixels,
                "glacier_id": glacier or None,
                "date": date,
                "paired_by": how.get(s.image_id),
                "mask_iou": s.mask_iou,
                "bias_m": s.bias_m,
            }
        )
    return rows

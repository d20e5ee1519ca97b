"""Front lines from a segmentation: every piece of the edge probability, then the ones
to keep (``select_fronts``); also from a probability raster written earlier."""

from __future__ import annotations

import dataclasses
import os

import numpy as np

from ..errors import InputError
from ..geo import polygons, rasters
from ..timing import StageTimer
from . import sanity
from .extract import (
    Front,
    extract_fronts,
    front_regions,
    fronts_in_mask,
    orient_ice_left,
    side_contrast,
)
from .segmentation import DetectOptions, SegmentResult, resolve_clip
from .uncertainty import uncertainty

EXTRACT_WHOLE_LIMIT = 16_000_000
"""Windows up to this many pixels are extracted at once (about 22 bytes a pixel); larger ones
(a full Landsat scene) one region above the threshold at a time, in bounded memory."""


def extract(result: SegmentResult, options: DetectOptions, timer: StageTimer) -> list[Front]:
    """The fronts of a segmentation: every piece, then ``select_fronts``; with the ice
    probability, each turned with the ice on its left and given its ``flow_azimuth``; with
    the segmentation's spread, each given its uncertainty."""
    edge = result.probs[0]
    with timer.stage("extract"):
        if edge.size > EXTRACT_WHOLE_LIMIT:
            pieces = extract_by_region(
                edge, result.geotransform, options, search_mask=result.search_mask
            )
        else:
            pieces = extract_fronts(
                np.nan_to_num(edge, nan=0.0),
                result.geotransform,
                threshold=options.threshold,
                low_threshold=options.low_threshold,
                search_mask=result.search_mask,
                min_length_px=options.min_length_px,
                simplify_px=options.simplify_px,
            )
        ice = result.probs[1] if len(result.probs) > 1 else None
        fronts = select_fronts(pieces, ice, options)
        if ice is not None:
            fronts = [orient_ice_left(front, ice, result.geotransform) for front in fronts]
    if result.spread is None:
        return fronts
    with timer.stage("uncertainty"):
        return [
            dataclasses.replace(
                front,
                uncertainty_m=uncertainty(
                    front.pixels, edge, result.spread, result.geotransform, options.views
                ),
            )
            for front in fronts
        ]


def select_fronts(pieces: list[Front], ice: np.ndarray | None, options: DetectOptions):
    """The longest piece, plus the others that separate ice from ocean (``side_contrast``).

    A front is often found in several pieces; shorter traces along fjord walls or inside the
    mélange have ice (or no ice) on both sides. Chosen on the held-out validation glacier:
    keeping the pieces with contrast >= 0.5 lowered its mean error from 8.8 to 7.2 px.
    Without the ice channel only the longest piece is kept.
    """
    if not pieces:
        return []
    kept = [pieces[0]]
    if ice is not None:
        kept += [p for p in pieces[1:] if side_contrast(p.pixels, ice) >= options.min_contrast]
    return kept[: options.max_fronts]


def _path_length(pixels: np.ndarray) -> float:
    return float(np.hypot(*np.diff(pixels, axis=0).T).sum()) if len(pixels) > 1 else 0.0


def extract_by_region(
    edge: np.ndarray,
    geotransform: rasters.GeoTransform,
    options: DetectOptions,
    search_mask: np.ndarray | None = None,
) -> list[Front]:
    """``fronts_in_mask`` run on each 8-connected region of ``front_mask`` in turn.

    Regions are independent for skeletonization, so memory follows the largest region rather
    than the window: on a full 8,000 x 8,000 scene the whole-array way needed about 1.5 GB on
    top of the probabilities (a float copy and an integer pixel index of the scene's size). The
    fronts are the same except where a region's skeleton has loops: the spanning tree breaks
    ties by pixel numbering, which changes when other regions are left out.
    """
    from scipy import ndimage

    labels, keep = front_regions(edge, options.threshold, options.low_threshold, search_mask)
    boxes = []
    for label, found in enumerate(ndimage.find_objects(labels), start=1):
        if found is not None and keep[label]:
            rows = slice(max(0, found[0].start - 1), min(edge.shape[0], found[0].stop + 1))
            cols = slice(max(0, found[1].start - 1), min(edge.shape[1], found[1].stop + 1))
            boxes.append((label, rows, cols))
    # the largest box last, with the scene-size label array already freed
    boxes.sort(key=lambda box: (box[1].stop - box[1].start) * (box[2].stop - box[2].start))
    fronts: list[Front] = []
    for i, (label, rows, cols) in enumerate(boxes):
        own = labels[rows, cols] == label
        if i == len(boxes) - 1:
            del labels
        # a path of length L visits at least L / sqrt(2) + 1 pixels
        if (own.sum() - 1) * np.sqrt(2) < options.min_length_px - 1e-9:
            continue
        offset = np.array([rows.start, cols.start], dtype=np.float64)
        for front in fronts_in_mask(
            own,
            edge[rows, cols],
            rasters.Window(cols.start, rows.start, 0, 0).geotransform(geotransform),
            options.min_length_px,
            options.simplify_px,
        ):
            fronts.append(dataclasses.replace(front, pixels=front.pixels + offset))
    fronts.sort(key=lambda front: -_path_length(front.pixels))
    return fronts


def check_edge_band(scene: rasters.Scene) -> None:
    """Refuse the rasters that look like probabilities but are not the front edge."""
    name = os.path.basename(scene.path)
    if scene.preprocessed:
        raise InputError(
            f"{name} is calfin:preprocess output (the network's input), not probabilities. "
            "Run calfin:segment on it and extract the fronts from that output."
        )
    if rasters.band_description(scene) == "mask":
        raise InputError(
            f"Band {scene.band} of {name} is the ice/ocean mask. The fronts come from the "
            "front-edge probability: choose band 1."
        )


def extract_from_raster(
    scene: rasters.Scene, options: DetectOptions, timer: StageTimer | None = None
) -> tuple[SegmentResult, list[Front]]:
    """Front lines from a probability raster written by ``segment`` (edge in ``scene``'s
    band); the result's warnings and ``suspect`` flag say when its ice band does not look
    like a glacier front's (``sanity.mask_warning``), as ``segment`` says it for a scene."""
    timer = timer or StageTimer()
    path, band = scene.path, scene.band
    check_edge_band(scene)
    clip_notes: list[str] = []
    geometry = resolve_clip(options, scene, clip_notes.append)
    window = (
        polygons.polygon_window(geometry, scene, 0) if geometry is not None else scene.full_window
    )
    with timer.stage("read"):
        values, valid = scene.read(window)
    edge = np.where(valid, values.astype(np.float32), 0.0)
    if np.nanmax(edge, initial=0.0) > 1.0 or np.nanmin(edge, initial=0.0) < 0.0:
        raise InputError(
            f"Band {band} of {os.path.basename(path)} is not a probability (values outside "
            "0-1). Use the output of calfin:segment, edge band 1."
        )
    probs = edge[None]
    if band == 1:  # calfin:segment's layout: edge in band 1, ice in band 2
        try:
            ice, _ = rasters.open_scene(path, 2).read(window)
            probs = np.stack([edge, ice.astype(np.float32)])
        except InputError:
            pass
    mask = (
        polygons.polygon_mask(geometry, window, scene.geotransform)
        if geometry is not None
        else None
    )
    doubt = sanity.mask_warning(probs[1], mask) if len(probs) > 1 else None
    result = SegmentResult(
        scene,
        window,
        probs,
        mask,
        0.0,
        timer,
        warnings=clip_notes + ([doubt] if doubt else []),
        suspect=bool(doubt),
    )
    return result, extract(result, options, timer)

"""Front distance, IoU and pooling on lines whose answers can be worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from calfin_qgis.core.evaluation.metrics import (
    front_distances,
    line_iou,
    mask_iou,
    rasterize_lines,
    score_image,
    summarize,
)

UTM = (500000.0, 30.0, 0.0, 7700000.0, 0.0, -30.0)


def _hline(row: int, start: int, stop: int, shape: tuple[int, int] = (40, 40)) -> np.ndarray:
    out = np.zeros(shape, dtype=bool)
    out[row, start:stop] = True
    return out


def test_rasterize_pixel_centres_and_clipping() -> None:
    # Pixel centres of row 5, cols 2 and 21, as extract_fronts writes them.
    line = shapely.LineString([(500075.0, 7699835.0), (500645.0, 7699835.0)])
    np.testing.assert_array_equal(
        rasterize_lines([line], (30, 30), UTM), _hline(5, 2, 22, (30, 30))
    )
    # A diagonal running off the grid, plus a MultiLineString and an empty geometry.
    gt = (0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
    lines = [
        shapely.LineString([(-50.5, -50.5), (4.5, 4.5)]),
        shapely.MultiLineString([[(7.5, 1.5), (7.5, 3.5)], [(100.0, 100.0), (200.0, 200.0)]]),
        shapely.LineString(),
    ]
    raster = rasterize_lines(lines, (10, 10), gt)
    expected = np.zeros((10, 10), dtype=bool)
    expected[np.arange(5), np.arange(5)] = True
    expected[1:4, 7] = True
    np.testing.assert_array_equal(raster, expected)


def test_offset_line_distances_are_exact() -> None:
    pred, ref = _hline(10, 5, 25), _hline(13, 5, 25)
    distances = front_distances(pred, ref)
    np.testing.assert_array_equal(distances, np.full(40, 3.0))


def test_distances_pooled_both_ways() -> None:
    pred = np.zeros((20, 20), dtype=bool)
    pred[5, 5] = True
    ref = _hline(5, 5, 8, (20, 20))  # (5,5) (5,6) (5,7)
    np.testing.assert_allclose(front_distances(pred, ref), [0.0, 0.0, 1.0, 2.0])
    assert front_distances(pred, np.zeros_like(ref)).size == 0


def test_line_iou() -> None:
    line = _hline(10, 5, 25)
    assert line_iou(line, line) == 1.0
    assert line_iou(line, _hline(30, 5, 25)) == 0.0
    # Shifted by 1 row and dilated to 3 px: 22 columns, rows 9-11 vs 10-12 -> 2/4 of rows.
    assert line_iou(line, _hline(11, 5, 25)) == pytest.approx(0.5)
    assert math.isnan(line_iou(np.zeros((5, 5), bool), np.zeros((5, 5), bool)))


def test_mask_iou_with_valid() -> None:
    pred = np.zeros((4, 4), dtype=bool)
    pred[:2] = True  # 8 px
    ref = np.zeros((4, 4), dtype=bool)
    ref[:3] = True  # 12 px
    assert mask_iou(pred, ref) == pytest.approx(8 / 12)
    valid = np.ones((4, 4), dtype=bool)
    valid[2] = False
    assert mask_iou(pred, ref, valid) == 1.0


def test_score_image_and_summarize_pool_distances() -> None:
    ref = _hline(10, 5, 25)
    near = score_image("a", _hline(11, 5, 25), ref, pixel_size_m=30.0)  # 40 distances of 1
    far = score_image("b", _hline(14, 5, 15), ref, pixel_size_m=10.0)  # 10 of 4, then ref side
    missing = score_image("c", np.zeros_like(ref), ref, pixel_size_m=30.0)
    assert (near.mean_px, near.median_px, near.n_pixels, near.found) == (1.0, 1.0, 40, True)
    # ref->pred: cols 5-14 are 4 px away, cols 15-24 are sqrt(16 + k^2) for k = 1..10.
    far_ref = np.sqrt(16 + np.arange(1, 11) ** 2)
    assert far.n_pixels == 30
    assert far.mean_px == pytest.approx((20 * 4 + far_ref.sum()) / 30)
    assert not missing.found and missing.n_pixels == 0 and math.isnan(missing.mean_px)

    summary = summarize([near, far, missing])
    pooled = np.concatenate([np.ones(40), np.full(20, 4.0), far_ref])
    assert (summary.n_images, summary.n_no_front) == (3, 1)
    assert summary.mean_px == pytest.approx(pooled.mean())
    assert summary.median_px == pytest.approx(np.median(pooled))
    metres = np.concatenate([np.full(40, 30.0), np.full(20, 40.0), far_ref * 10])
    assert summary.mean_m == pytest.approx(metres.mean())
    assert summary.median_m == pytest.approx(np.median(metres))
    assert summary.line_iou == pytest.approx((near.line_iou + far.line_iou) / 2)

    unsized = score_image("d", ref, ref)
    assert summarize([near, unsized]).mean_m is None
    empty = summarize([missing])
    assert empty.n_no_front == 1 and math.isnan(empty.mean_px) and empty.mean_m is None

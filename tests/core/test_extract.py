"""Front extraction on hand-drawn skeletons with hand-checked paths, lengths and coordinates."""

from __future__ import annotations

import math

import numpy as np
import pytest

from calfin_qgis.core.detect.extract import extract_fronts, front_mask, map_to_pixel, pixel_to_map

UNIT = (0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
UTM = (500000.0, 30.0, 0.0, 7700000.0, 0.0, -30.0)


def _ends(pixels: np.ndarray) -> set[tuple[int, int]]:
    return {tuple(int(v) for v in pixels[0]), tuple(int(v) for v in pixels[-1])}


def test_straight_line_in_metres_uses_pixel_centres() -> None:
    edge = np.zeros((30, 30))
    edge[5, 2:22] = 0.8
    (front,) = extract_fronts(edge, UTM)
    assert _ends(front.pixels) == {(5, 2), (5, 21)}
    assert len(front.pixels) == 20
    assert sorted(front.line.coords) == [(500075.0, 7699835.0), (500645.0, 7699835.0)]
    assert front.length_m == pytest.approx(19 * 30)
    assert front.confidence == pytest.approx(0.8)


def test_t_shape_keeps_the_longest_path() -> None:
    edge = np.zeros((40, 40))
    edge[10, 5:31] = 0.9  # bar: 10 px left of the junction at (10, 15), 15 px right
    edge[11:31, 15] = 0.9  # stem: 20 px down from the junction
    (front,) = extract_fronts(edge, UNIT, simplify_px=0)
    assert _ends(front.pixels) == {(10, 30), (30, 15)}
    assert len(front.pixels) == 36
    assert front.length_m == pytest.approx(35.0)
    assert not any((p == (10, 5)).all() for p in front.pixels)


def test_skeletonized_corner_counts_its_diagonal() -> None:
    edge = np.zeros((40, 40))
    edge[5:26, 5] = 1.0
    edge[25, 5:26] = 1.0  # skeletonize drops the corner (25, 5): 19 + sqrt(2) + 19
    (front,) = extract_fronts(edge, UNIT, simplify_px=0)
    assert _ends(front.pixels) == {(5, 5), (25, 25)}
    assert front.length_m == pytest.approx(38 + math.sqrt(2))


def test_short_components_dropped_sorted_and_capped() -> None:
    edge = np.zeros((50, 50))
    edge[5, 5:35] = 0.5  # 29 px
    edge[20, 5:25] = 0.6  # 19 px
    edge[35, 5:11] = 0.7  # 5 px: below min_length_px
    edge[45, 45] = 0.9  # single pixel
    fronts = extract_fronts(edge, UNIT)
    assert [f.length_m for f in fronts] == pytest.approx([29.0, 19.0])
    assert [f.confidence for f in fronts] == pytest.approx([0.5, 0.6])
    assert len(extract_fronts(edge, UNIT, max_fronts=1)) == 1
    everything = extract_fronts(edge, UNIT, min_length_px=0)
    assert [f.length_m for f in everything] == pytest.approx([29.0, 19.0, 5.0, 0.0])
    assert everything[-1].pixels.tolist() == [[45.0, 45.0]]
    assert everything[-1].line.coords[0] == (45.5, 45.5)


def test_search_mask_threshold_and_nodata() -> None:
    edge = np.full((30, 30), np.nan)
    edge[10, 2:28] = 0.9
    edge[20, 2:28] = 0.2  # below threshold
    mask = np.zeros((30, 30), dtype=bool)
    mask[:, 15:] = True
    (front,) = extract_fronts(edge, UNIT, search_mask=mask)
    assert _ends(front.pixels) == {(10, 15), (10, 27)}
    assert extract_fronts(edge, UNIT, threshold=0.95) == []
    assert extract_fronts(np.zeros((0, 0)), UNIT) == []
    assert extract_fronts(np.full((5, 5), np.nan), UNIT) == []


def test_rotated_geotransform_round_trip() -> None:
    gt = (1000.0, 8.0, 6.0, 2000.0, 6.0, -8.0)
    rows, cols = np.array([0.0, 3.5, 10.0]), np.array([0.0, 2.25, -4.0])
    x, y = pixel_to_map(rows, cols, gt)
    assert (x[1], y[1]) == pytest.approx((1000 + 2.25 * 8 + 3.5 * 6, 2000 + 2.25 * 6 - 3.5 * 8))
    back_rows, back_cols = map_to_pixel(x, y, gt)
    np.testing.assert_allclose(back_rows, rows, atol=1e-9)
    np.testing.assert_allclose(back_cols, cols, atol=1e-9)
    with pytest.raises(ValueError):
        map_to_pixel(x, y, (0.0, 1.0, 1.0, 0.0, 1.0, 1.0))


def test_large_sparse_raster_is_fast_enough() -> None:
    edge = np.zeros((2000, 2000), dtype=np.float32)
    rr = np.arange(100, 1900)
    edge[rr, (1000 + 300 * np.sin(rr / 200)).astype(int)] = 0.9
    edge[rr, (1000 + 300 * np.sin(rr / 200)).astype(int) + 1] = 0.9  # 2 px thick
    fronts = extract_fronts(edge, UTM)
    assert len(fronts) == 1
    assert fronts[0].length_m > 1799 * 30


def test_hysteresis_extends_a_front_into_its_weaker_end_only() -> None:
    edge = np.zeros((20, 40))
    edge[5, 2:20] = 0.8  # strong middle of a front
    edge[5, 20:30] = 0.2  # its fading end
    edge[12, 5:25] = 0.2  # a weak trace touching no strong pixel
    mask = front_mask(edge, 0.33, 0.15)
    assert mask[5, 2:30].all() and not mask[12].any()
    assert (front_mask(edge, 0.33) == (edge > 0.33)).all()
    assert (front_mask(edge, 0.33, 0.0) == (edge > 0.33)).all()  # 0: off, as the UI says
    (front,) = extract_fronts(edge, UNIT, low_threshold=0.15)
    assert _ends(front.pixels) == {(5, 2), (5, 29)}


def test_hysteresis_stays_inside_the_search_area() -> None:
    edge = np.zeros((10, 30))
    edge[5, 0:10] = 0.8  # strong, outside the search area
    edge[5, 10:20] = 0.2  # weak, inside, joined only through the strong part
    search = np.zeros(edge.shape, dtype=bool)
    search[:, 10:] = True
    assert not front_mask(edge, 0.33, 0.15, search).any()

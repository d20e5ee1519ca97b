"""Choosing front pieces by how well they separate ice from ocean."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from calfin_qgis.core.detect.extract import extract_fronts, side_contrast
from calfin_qgis.core.detect.picking import select_fronts
from calfin_qgis.core.detect.segmentation import DetectOptions

UNIT = (0.0, 1.0, 0.0, 0.0, 0.0, 1.0)


def horizontal(row: int, c0: int, c1: int) -> np.ndarray:
    return np.column_stack([np.full(c1 - c0, row), np.arange(c0, c1)]).astype(float)


def test_side_contrast_of_a_clean_front_is_one_and_of_a_trace_in_ice_zero() -> None:
    ice = np.zeros((40, 40))
    ice[20:] = 1.0  # ice below row 20, ocean above
    assert side_contrast(horizontal(20, 5, 35), ice) == pytest.approx(1.0)
    assert side_contrast(horizontal(30, 5, 35), ice) == pytest.approx(0.0)
    assert side_contrast(horizontal(20, 5, 35)[::-1], ice) == pytest.approx(1.0)  # either way


def test_select_keeps_the_longest_and_the_pieces_on_the_ice_edge() -> None:
    edge = np.zeros((60, 80))
    edge[20, 5:60] = 0.9  # the main front
    edge[20, 65:78] = 0.9  # its continuation past a gap
    edge[45, 10:30] = 0.9  # a trace inside the ice
    ice = np.zeros_like(edge)
    ice[21:] = 1.0
    pieces = extract_fronts(edge, UNIT)
    assert len(pieces) == 3
    kept = select_fronts(pieces, ice, DetectOptions())
    assert [len(p.pixels) for p in kept] == [55, 13]
    assert select_fronts(pieces, None, DetectOptions()) == pieces[:1]
    assert select_fronts(pieces, ice, DetectOptions(max_fronts=1)) == pieces[:1]
    assert select_fronts([], ice, DetectOptions()) == []


def test_fronts_are_turned_with_the_ice_on_their_left_and_get_the_flow_azimuth() -> None:
    """North-up grid, ice in the south half: walking the front westwards keeps the ice on
    the left, and the ice flows north (azimuth 0) into the ocean, whichever way it was traced."""
    from calfin_qgis.core.detect.extract import orient_ice_left

    north_up = (1000.0, 30.0, 0.0, 5000.0, 0.0, -30.0)
    edge = np.zeros((40, 40))
    edge[20, 5:35] = 0.9
    ice = np.zeros_like(edge)
    ice[21:] = 1.0
    (piece,) = extract_fronts(edge, north_up)
    for traced in (piece, replace(piece, line=piece.line.reverse(), pixels=piece.pixels[::-1])):
        front = orient_ice_left(traced, ice, north_up)
        (x0, _), (x1, _) = front.line.coords[0], front.line.coords[-1]
        assert x0 > x1  # east → west
        assert front.flow_azimuth == pytest.approx(0.0)
        assert front.pixels[0][1] > front.pixels[-1][1]
    # ice in the east (columns >= 20), fronts along a column: flow west (270°)
    edge = np.zeros((40, 40))
    edge[5:35, 20] = 0.9
    ice = np.zeros_like(edge)
    ice[:, 21:] = 1.0
    (piece,) = extract_fronts(edge, north_up)
    assert orient_ice_left(piece, ice, north_up).flow_azimuth == pytest.approx(270.0)
    # no contrast: no evidence, nothing turned
    assert orient_ice_left(piece, np.zeros_like(edge), north_up).flow_azimuth is None

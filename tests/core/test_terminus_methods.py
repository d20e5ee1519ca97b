"""Every terminus method on hand-made fjords where the answers are known exactly."""

from __future__ import annotations

import datetime
import math
from dataclasses import replace

import pytest
from shapely.geometry import LineString, Polygon

from calfin_qgis.core.errors import InputError
from calfin_qgis.core.terminus.change import terminus_change
from calfin_qgis.core.terminus.inputs import METHODS, Layer
from calfin_qgis.core.terminus.methods import offsets
from tests.core.test_terminus import BOX, WKT, X0, Y0, across, boxes, fronts, lines

D = datetime.date
COLUMNS = [f"{m}_position_m" for m in METHODS]
STRAIGHT = LineString([(X0 + 500, Y0), (X0 + 500, Y0 + 5000)])
"""Down the middle of BOX from its upstream edge: every method measures from y = Y0."""


def positions(row) -> list:
    return [getattr(row, name) for name in COLUMNS]


def test_straight_fjord_every_method_agrees() -> None:
    result = terminus_change(
        fronts((D(2000, 1, 1), across(1000)), (D(2001, 1, 1), across(2500))),
        boxes(),
        lines(STRAIGHT),
        box_width=1000,
    )
    first, second = result.rows
    assert positions(first) == pytest.approx([1000] * 5, abs=1e-6)
    assert positions(second) == pytest.approx([2500] * 5, abs=1e-6)
    assert result.computed == {"g": METHODS}
    assert second.change_m == pytest.approx(1500, abs=1e-6) and second.warning == ""


def test_slanted_front_every_method_gives_its_mean_but_the_centreline_its_middle() -> None:
    """From 1,000 m at the left wall to 2,000 m at the right one: the mean is 1,500 m, and
    the centreline down the middle crosses it there too; off the middle it does not."""
    item = (D(2000, 1, 1), across(1000, 2000))
    (row,) = terminus_change(fronts(item), boxes(), lines(STRAIGHT), box_width=1000).rows
    assert positions(row) == pytest.approx([1500] * 5, abs=1e-6)
    off_middle = LineString([(X0 + 250, Y0), (X0 + 250, Y0 + 5000)])
    result = terminus_change(fronts(item), boxes(), lines(off_middle), box_width=500)
    (row,) = result.rows
    assert row.box_position_m == pytest.approx(1500, abs=1e-6)
    assert row.centreline_position_m == pytest.approx(1250, abs=1e-6)
    # the curvilinear box, multi-centreline and (in the rectilinear box) the extrapolated
    # centreline see 0-500 m across: a mean of 1,250 m
    assert row.curvilinear_box_position_m == pytest.approx(1250, abs=1e-6)
    assert row.multi_centreline_position_m == pytest.approx(1250, abs=1e-6)
    assert row.extrapolated_centreline_position_m == pytest.approx(1500, abs=1e-6)
    # the across-front profile (written to the millimetre): position = 1,250 m - offset
    # (the line runs 250 m from the left wall; left of it is -x)
    profile = [p for p in result.profiles if p["date"] == D(2000, 1, 1)]
    assert [p["offset_m"] for p in profile] == pytest.approx(list(offsets(500)), abs=5e-4)
    assert [p["position_m"] for p in profile] == pytest.approx(
        [1250 - o for o in offsets(500)], abs=1e-3
    )


def bend() -> tuple[LineString, Polygon, LineString]:
    """A fjord 1,000 m wide that runs north for 3,000 m, then turns 45° to the north-east;
    a straight front square to its second limb, 1,000 m past the bend; a rectilinear box
    drawn straight north over the first limb."""
    corner = (X0, Y0 + 3000)
    unit = 1 / math.sqrt(2)
    centreline = LineString([(X0, Y0), corner, (X0 + 3000 * unit, Y0 + 3000 + 3000 * unit)])
    px, py = X0 + 1000 * unit, Y0 + 3000 + 1000 * unit
    front = LineString([(px - 3000 * unit, py + 3000 * unit), (px + 3000 * unit, py - 3000 * unit)])
    box = Polygon([(X0 - 500, Y0), (X0 + 500, Y0), (X0 + 500, Y0 + 6000), (X0 - 500, Y0 + 6000)])
    return centreline, box, front


def test_bend_curvilinear_and_rectilinear_boxes_differ_by_the_known_amount() -> None:
    """Along the fjord the front lies 3,000 + 1,000 m from the start; the straight box reads
    the mean y of the slanting front in it, 3,000 + 1,000 √2 m: 414.214 m further."""
    centreline, box, front = bend()
    result = terminus_change(
        fronts((D(2000, 1, 1), front)), boxes(box), lines(centreline), box_width=1000
    )
    (row,) = result.rows
    assert row.box_position_m == pytest.approx(3000 + 1000 * math.sqrt(2), abs=1e-6)
    assert row.curvilinear_box_position_m == pytest.approx(4000, abs=1e-6)
    assert row.centreline_position_m == pytest.approx(4000, abs=1e-6)
    assert row.multi_centreline_position_m == pytest.approx(4000, abs=1e-6)
    # in the straight box the front reaches 1,707 m left of the centreline, whose distance
    # there blends both limbs of the bend
    assert 4000 < row.extrapolated_centreline_position_m < 4000 + 1000 * (math.sqrt(2) - 1)
    assert row.box_position_m - row.curvilinear_box_position_m == pytest.approx(
        1000 * (math.sqrt(2) - 1), abs=1e-6
    )
    kinds = sorted((g["kind"], g["origin"]) for g in result.geometry)
    assert kinds == [("box", "drawn"), ("centreline", "drawn"), ("curvilinear_box", "drawn")]
    curvilinear = next(g for g in result.geometry if g["kind"] == "curvilinear_box")
    assert Polygon(curvilinear["geometry"]).area == pytest.approx(1000 * centreline.length)
    # without the straight box, the front is clipped to the curvilinear one: within 500 m of
    # the second limb, where the centreline is straight
    (row,) = terminus_change(
        fronts((D(2000, 1, 1), front)), centrelines=lines(centreline), box_width=1000
    ).rows
    assert row.extrapolated_centreline_position_m == pytest.approx(4000, abs=1e-6)


def test_method_chooses_the_change_and_a_missing_one_falls_back_with_a_note() -> None:
    items = ((D(2000, 1, 1), across(1000)), (D(2001, 1, 1), across(1000, 2000)))
    result = terminus_change(
        fronts(*items), boxes(), lines(STRAIGHT), method="centreline", box_width=1000
    )
    assert result.methods == {"g": "centreline"}
    assert result.rows[1].change_m == pytest.approx(500, abs=1e-6)
    result = terminus_change(fronts(*items), centrelines=lines(STRAIGHT), method="box")
    assert result.methods == {"g": "centreline"}
    assert result.computed == {"g": ("centreline", "extrapolated_centreline")}
    assert any(
        "change and rate from centreline (METHOD box needs a BOX)" in n for n in result.notes
    )
    assert result.rows[0].box_position_m is None and result.rows[0].extended_m is None
    with pytest.raises(InputError, match="METHOD 'area'"):
        terminus_change(fronts(*items), boxes(), method="area")
    with pytest.raises(InputError, match="BOX_WIDTH -5"):
        terminus_change(fronts(*items), boxes(), box_width=-5)
    with pytest.raises(InputError, match="crosses itself"):
        zigzag = LineString([(X0, Y0), (X0, Y0 + 100), (X0 + 100, Y0), (X0 + 100, Y0 + 100)])
        terminus_change(fronts(*items), centrelines=lines(zigzag), box_width=5000)


def glacier_polygon() -> Layer:
    """A straight fjord 1,400 m wide from 2 km upstream of BOX to 6 km down it."""
    fjord = Polygon(
        [
            (X0 - 200, Y0 - 2000),
            (X0 + 1200, Y0 - 2000),
            (X0 + 1200, Y0 + 6000),
            (X0 - 200, Y0 + 6000),
        ]
    )
    return Layer({"g": fjord}, WKT, "glaciers")


def test_change_without_drawing_from_the_glacier_polygon_and_the_fronts_ice_side() -> None:
    """Detected fronts (ice flowing north) at 1,000 and 2,500 m: the automatic centreline runs
    up the fjord's middle from one fjord width (1,400 m) upstream of the first front's line,
    the curvilinear box is the fjord's width; fronts 1,200 m long are closed to its sides."""
    items = ((D(2000, 1, 1), across(1000)), (D(2001, 1, 1), across(2500)))
    detected = Layer([replace(f, flow_azimuth=0.0) for f in fronts(*items).items], WKT, "f")
    result = terminus_change(detected, glaciers=glacier_polygon(), method="curvilinear_box")
    first, second = result.rows
    start = 1750 - 750 - 1400  # fronts' mean y, their half-range, one width
    assert first.curvilinear_box_position_m == pytest.approx(1000 - start, abs=1e-6)
    assert first.centreline_position_m == pytest.approx(1000 - start, abs=1e-6)
    assert first.extended_m == pytest.approx(200, abs=1e-6)
    assert "front extended 200 m to the curvilinear box's sides" in first.warning
    for name in COLUMNS[1:]:
        assert getattr(second, name) - getattr(first, name) == pytest.approx(1500, abs=1e-6)
    assert second.change_m == pytest.approx(1500, abs=1e-6)
    assert first.box_position_m is None
    centreline = next(g for g in result.geometry if g["kind"] == "centreline")
    assert centreline["origin"] == "automatic"
    assert centreline["geometry"].coords[0] == pytest.approx((X0 + 500, Y0 + start))
    box = next(g for g in result.geometry if g["kind"] == "curvilinear_box")
    assert box["width_m"] == pytest.approx(1400)
    # hand-drawn fronts carry no ice side: no direction, nothing measured, and why
    result = terminus_change(fronts(*items), glaciers=glacier_polygon())
    assert all(r.centreline_position_m is None for r in result.rows)
    assert "no front records its ice side" in result.rows[0].warning
    assert result.methods == {}


def test_polygon_is_used_only_where_nothing_is_drawn() -> None:
    item = (D(2000, 1, 1), across(1000))
    detected = Layer([replace(f, flow_azimuth=0.0) for f in fronts(item).items], WKT, "f")
    result = terminus_change(detected, boxes(), glaciers=glacier_polygon())
    assert result.computed == {"g": ("box",)} and result.rows[0].box_position_m == pytest.approx(
        1000
    )
    assert BOX.area == 5e6

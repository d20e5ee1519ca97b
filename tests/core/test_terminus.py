"""Terminus positions on hand-made geometry, where the answers are known exactly."""

from __future__ import annotations

import datetime
from dataclasses import replace

import pytest
from osgeo import osr
from shapely.geometry import LineString, MultiLineString, Polygon

from calfin_qgis.core.errors import InputError
from calfin_qgis.core.terminus.change import terminus_change
from calfin_qgis.core.terminus.inputs import (
    EVERY_GLACIER,
    Front,
    Layer,
    check_front_fields,
    parse_date,
    parse_flags,
)

# EPSG:3413 (metres) near Jakobshavn: the box is 1,000 m wide and 5,000 m long, its first
# edge (upstream) along y = Y0; the ice flows towards +y.
X0, Y0 = -186_000.0, -2_272_000.0
EPSG3413 = osr.SpatialReference()
EPSG3413.ImportFromEPSG(3413)
WKT = EPSG3413.ExportToWkt()
BOX = Polygon([(X0, Y0), (X0 + 1000, Y0), (X0 + 1000, Y0 + 5000), (X0, Y0 + 5000)])
CENTRELINE = LineString([(X0 + 500, Y0 - 3000), (X0 + 500, Y0 + 5500)])
D = datetime.date


def across(y: float, y_right: float | None = None) -> LineString:
    """A front from beyond the left wall to beyond the right one, at y (slanted to y_right)."""
    right = y if y_right is None else y_right
    slope = (right - y) / 1000
    return LineString([(X0 - 100, Y0 + y - 100 * slope), (X0 + 1100, Y0 + right + 100 * slope)])


def fronts(*items, crs: str = WKT) -> Layer:
    """Fronts of glacier 'g' from (date, geometry[, qual_flag[, status]]) tuples."""
    out = []
    for i, (date, geometry, *rest) in enumerate(items):
        flag = rest[0] if rest else 10
        status = rest[1] if len(rest) > 1 else ""
        out.append(Front("g", date, f"img{i}", flag, geometry, status))
    return Layer(out, crs, "fronts")


def boxes(box: Polygon = BOX, crs: str = WKT) -> Layer:
    return Layer({"g": box}, crs, "boxes")


def lines(line: LineString = CENTRELINE) -> Layer:
    return Layer({"g": line}, WKT, "centrelines")


def test_straight_fronts_at_known_distances_give_exact_positions() -> None:
    result = terminus_change(
        fronts((D(2000, 1, 1), across(1000)), (D(2001, 1, 1), across(2500))), boxes(), lines()
    )
    first, second = result.rows
    assert first.box_position_m == pytest.approx(1000, abs=1e-6)
    assert second.box_position_m == pytest.approx(2500, abs=1e-6)
    # from the centreline's start, 3,000 m upstream of the box
    assert first.centreline_position_m == pytest.approx(4000, abs=1e-6)
    assert second.centreline_position_m == pytest.approx(5500, abs=1e-6)
    assert first.warning == second.warning == ""
    assert first.cut.area == pytest.approx(1000 * 1000)
    assert result.methods == {"g": "box"}


def test_changes_and_rates_are_exact() -> None:
    result = terminus_change(
        fronts(
            (D(2000, 1, 1), across(3000)),
            (D(2000, 7, 1), across(2500)),  # 182 days: retreat 500 m
            (D(2001, 7, 1), across(2800)),  # 365 days: advance 300 m
        ),
        boxes(),
    )
    changes = [r.change_m for r in result.rows]
    rates = [r.rate_m_per_yr for r in result.rows]
    assert changes == pytest.approx([0.0, -500.0, -200.0], abs=1e-6)
    assert rates[0] is None
    assert rates[1] == pytest.approx(-500 / (182 / 365.25), rel=1e-9)
    assert rates[2] == pytest.approx(300 / (365 / 365.25), rel=1e-9)


def test_slanted_front_gives_its_mean_position() -> None:
    (row,) = terminus_change(fronts((D(2000, 1, 1), across(1000, 2000))), boxes(), lines()).rows
    assert row.box_position_m == pytest.approx(1500, abs=1e-6)
    assert row.centreline_position_m == pytest.approx(3000 + 1500, abs=1e-6)


def test_front_crossing_the_box_twice_is_measured_to_its_first_crossing() -> None:
    zigzag = LineString(
        [
            (X0 - 100, Y0 + 2000),
            (X0 + 1100, Y0 + 2000),
            (X0 + 1100, Y0 + 3000),
            (X0 - 100, Y0 + 3000),
        ]
    )
    (row,) = terminus_change(fronts((D(2000, 1, 1), zigzag)), boxes(), lines()).rows
    assert row.box_position_m == pytest.approx(2000, abs=1e-6)
    assert row.centreline_position_m == pytest.approx(5000, abs=1e-6)
    assert "cuts the box into 3 pieces" in row.warning


def test_fronts_that_only_touch_or_miss_the_box_are_left_out_with_a_reason() -> None:
    touching = LineString([(X0 - 500, Y0 + 3000), (X0, Y0 + 3000)])
    result = terminus_change(
        fronts((D(2000, 1, 1), across(1000)), (D(2001, 1, 1), touching)), boxes(), lines()
    )
    ok, touch = result.rows
    assert ok.box_position_m == pytest.approx(1000) and ok.extended_m == 0.0
    assert touch.box_position_m is None and "lies outside the box" in touch.warning
    assert "does not cross the centreline" in touch.warning
    assert touch.change_m is None


def test_a_front_short_of_the_walls_is_closed_to_the_box_sides() -> None:
    """MaQiT's closing: a straight front from 200 to 600 m across the 1,000 m box is extended
    along its own direction by 200 m to the left wall and 400 m to the right one."""
    halfway = LineString([(X0 + 200, Y0 + 3000), (X0 + 600, Y0 + 3000)])
    result = terminus_change(
        fronts((D(2000, 1, 1), across(1000)), (D(2001, 1, 1), halfway)),
        boxes(),
        lines(),
        box_width=1000,
    )
    _, half = result.rows
    assert half.box_position_m == pytest.approx(3000, abs=1e-6)
    assert half.curvilinear_box_position_m == pytest.approx(3000 + 3000, abs=1e-6)
    assert half.extended_m == pytest.approx(600, abs=1e-6)
    assert "front extended 600 m to the box's sides" in half.warning
    assert half.change_m == pytest.approx(2000, abs=1e-6)
    # slanted and short of both walls: closed along its own direction, mean 1,500 m
    slanted = LineString([(X0 + 250, Y0 + 1250), (X0 + 750, Y0 + 1750)])
    (row,) = terminus_change(fronts((D(2000, 1, 1), slanted)), boxes()).rows
    assert row.box_position_m == pytest.approx(1500, abs=1e-6)
    assert row.extended_m == pytest.approx(2 * 250 * 2**0.5, abs=1e-6)
    # an end direction that runs into the upstream edge: the shortest line to the side
    hook = LineString([(X0 + 1100, Y0 + 400), (X0 + 300, Y0 + 400), (X0 + 300, Y0 + 100)])
    (row,) = terminus_change(fronts((D(2000, 1, 1), hook)), boxes()).rows
    assert row.extended_m == pytest.approx(300, abs=1e-6)  # (300, 100) → (0, 100)
    assert row.box_position_m == pytest.approx((300 * 100 + 700 * 400) / 1000, abs=1e-6)


def test_several_fronts_on_one_date_are_one_position() -> None:
    left = LineString([(X0 - 100, Y0 + 1000), (X0 + 500, Y0 + 1000)])
    right = LineString([(X0 + 500, Y0 + 1000), (X0 + 1100, Y0 + 1000)])
    result = terminus_change(
        fronts((D(2000, 1, 1), left), (D(2000, 1, 1), right), (D(2000, 1, 1), across(1000))),
        boxes(),
    )
    (row,) = result.rows
    assert row.n_fronts == 3 and row.image_id == "img0; img1; img2"
    assert row.box_position_m == pytest.approx(1000, abs=1e-6)
    multipart = MultiLineString([left.coords, right.coords])
    (row,) = terminus_change(fronts((D(2000, 1, 1), multipart)), boxes()).rows
    assert row.box_position_m == pytest.approx(1000, abs=1e-6)


def test_box_in_another_crs_is_reprojected() -> None:
    wgs84 = osr.SpatialReference()
    wgs84.ImportFromEPSG(4326)
    for srs in (wgs84, EPSG3413):
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    to_wgs84 = osr.CoordinateTransformation(EPSG3413, wgs84)
    corners = [to_wgs84.TransformPoint(x, y)[:2] for x, y in BOX.exterior.coords]
    assert -60 < corners[0][0] < -40 and 60 < corners[0][1] < 80  # lon/lat in Greenland
    geographic = Layer({"g": Polygon(corners)}, wgs84.ExportToWkt(), "boxes")
    result = terminus_change(fronts((D(2000, 1, 1), across(1000))), geographic)
    assert result.rows[0].box_position_m == pytest.approx(1000, abs=1e-3)
    assert result.crs_wkt == WKT  # the fronts' projected CRS


def test_fronts_in_degrees_are_measured_in_the_box_crs() -> None:
    wgs84 = osr.SpatialReference()
    wgs84.ImportFromEPSG(4326)
    result = terminus_change(fronts((D(2000, 1, 1), across(1000)), crs=WKT), boxes())
    assert result.crs_wkt == WKT
    with pytest.raises(InputError, match="projected CRS"):
        terminus_change(
            fronts((D(2000, 1, 1), across(1000)), crs=wgs84.ExportToWkt()),
            boxes(crs=wgs84.ExportToWkt()),
        )


def test_hand_drawn_fronts_follow_the_drawn_centreline() -> None:
    """The issue's case: a centreline from 1,000 m upstream of the fronts to 3,000 m into the
    fjord used to be reversed by a distance rule (4,000 m instead of 1,000 m)."""
    line = LineString([(X0 + 500, Y0), (X0 + 500, Y0 + 4000)])
    result = terminus_change(fronts((D(2000, 1, 1), across(1000))), boxes(), lines(line))
    (row,) = result.rows
    assert row.centreline_position_m == pytest.approx(1000, abs=1e-6)
    assert row.box_position_m == pytest.approx(1000, abs=1e-6)
    assert row.warning == "" and not any("reversed" in n for n in result.notes)
    # detected fronts whose ice side agrees: the same
    (row,) = terminus_change(detected((D(2000, 1, 1), across(1000))), boxes(), lines(line)).rows
    assert row.centreline_position_m == pytest.approx(1000, abs=1e-6) and row.warning == ""


def detected(*items, azimuth: float = 0.0) -> Layer:
    """Fronts of glacier 'g' with a recorded ice side (the ice flows towards +y: 0°)."""
    layer = fronts(*items)
    return Layer([replace(f, flow_azimuth=azimuth) for f in layer.items], WKT, "fronts")


def test_centreline_reversed_only_on_the_fronts_ice_side() -> None:
    items = ((D(2000, 1, 1), across(1000)), (D(2001, 1, 1), across(2000)))
    # drawn from 1,000 m beyond the fronts to 4,000 m upstream of them
    ocean_first = LineString([(X0 + 500, Y0 + 3000), (X0 + 500, Y0 - 3000)])
    forward = terminus_change(detected(*items), boxes(), lines(ocean_first.reverse())).rows
    assert forward[0].warning == "" and forward[0].centreline_position_m == pytest.approx(4000)
    backwards = terminus_change(detected(*items), boxes(), lines(ocean_first))
    assert any("centreline reversed" in n and "2 of 2" in n for n in backwards.notes)
    for a, b in zip(forward, backwards.rows, strict=True):
        assert b.centreline_position_m == pytest.approx(a.centreline_position_m)
        assert b.box_position_m == pytest.approx(a.box_position_m)
        assert "centreline reversed" in b.warning
    # the same drawing with hand-drawn fronts: followed as drawn (measured from the ocean end)
    drawn = terminus_change(fronts(*items), boxes(), lines(ocean_first)).rows
    assert drawn[0].centreline_position_m == pytest.approx(2000)
    assert "reversed" not in drawn[0].warning
    # one front of three against the drawing: kept as drawn, said so
    mixed = Layer(
        [*detected(*items).items, Front("g", D(2002, 1, 1), "x", 10, across(2500), "", 180.0)],
        WKT,
        "fronts",
    )
    rows = terminus_change(mixed, boxes(), lines(ocean_first.reverse())).rows
    assert rows[0].centreline_position_m == pytest.approx(4000)
    assert "1 of 3 detected front(s) contradicts the centreline's direction" in rows[0].warning


def test_box_upstream_edge_from_the_fronts_ice_side() -> None:
    flipped = Polygon([(X0 + 1000, Y0 + 5000), (X0, Y0 + 5000), (X0, Y0), (X0 + 1000, Y0)])
    item = (D(2000, 1, 1), across(1000))
    (row,) = terminus_change(detected(item), boxes(flipped)).rows
    assert row.box_position_m == pytest.approx(1000)
    assert "its edge 3 is taken as the upstream edge" in row.warning
    (row,) = terminus_change(detected(item), boxes()).rows
    assert row.box_position_m == pytest.approx(1000) and row.warning == ""


def test_upstream_edge_is_the_box_first_edge_unless_a_centreline_says_otherwise() -> None:
    # the same box drawn from its far (y = 5,000 m) edge
    flipped = Polygon([(X0 + 1000, Y0 + 5000), (X0, Y0 + 5000), (X0, Y0), (X0 + 1000, Y0)])
    item = (D(2000, 1, 1), across(1000))
    assert terminus_change(fronts(item), boxes(flipped)).rows[0].box_position_m == pytest.approx(
        4000
    )
    with_line = terminus_change(fronts(item), boxes(flipped), lines()).rows[0]
    assert with_line.box_position_m == pytest.approx(1000)


def test_centreline_alone_and_a_box_without_glacier_id() -> None:
    item = (D(2000, 1, 1), across(1000))
    result = terminus_change(fronts(item), centrelines=lines())
    assert result.methods == {"g": "centreline"} and result.rows[0].change_m == 0.0
    anonymous = Layer({EVERY_GLACIER: BOX}, WKT, "boxes")
    assert terminus_change(fronts(item), anonymous).rows[0].box_position_m == pytest.approx(1000)


def test_rejected_and_unwanted_flags_are_not_used() -> None:
    result = terminus_change(
        fronts(
            (D(2000, 1, 1), across(1000), 0),
            (D(2001, 1, 1), across(2000), 10, "rejected"),
            (D(2002, 1, 1), across(3000), 13),
        ),
        boxes(),
    )
    assert [r.date for r in result.rows] == [D(2000, 1, 1)]
    assert any("1 rejected" in n for n in result.notes)
    assert any("QUAL_FLAGS 0,3,10" in n and "13: 1" in n for n in result.notes)
    with_13 = terminus_change(fronts((D(2002, 1, 1), across(3000), 13)), boxes(), qual_flags=(13,))
    assert with_13.rows[0].box_position_m == pytest.approx(3000)
    with pytest.raises(InputError, match="Add those flags"):
        terminus_change(fronts((D(2002, 1, 1), across(3000), 13)), boxes())


def test_a_front_without_date_keeps_a_row_with_the_reason() -> None:
    result = terminus_change(fronts((None, across(1000)), (D(2000, 1, 1), across(2000))), boxes())
    dated, undated = result.rows
    assert dated.change_m == 0.0
    assert undated.date is None and "no date" in undated.warning and undated.change_m is None


def test_a_box_of_two_polygons_is_an_error_naming_the_glacier() -> None:
    from shapely import affinity
    from shapely.geometry import MultiPolygon

    two = MultiPolygon([BOX, affinity.translate(BOX, 5000, 0)])
    with pytest.raises(InputError, match="box of glacier 'g'.*Keep one polygon"):
        terminus_change(fronts((D(2000, 1, 1), across(1000))), boxes(two))


def test_empty_layer_missing_fields_and_missing_references_are_errors() -> None:
    with pytest.raises(InputError, match="holds no fronts"):
        terminus_change(Layer([], WKT, "fronts"), boxes())
    with pytest.raises(InputError, match="box layer"):
        terminus_change(fronts((D(2000, 1, 1), across(1000))))
    with pytest.raises(InputError, match="no 'date' field"):
        check_front_fields(["glacier_id", "image_id"], "glacier_id", "fronts.gpkg")
    with pytest.raises(InputError, match="no field 'name'"):
        check_front_fields(["date", "glacier_id"], "name", "fronts.gpkg")


def test_flags_and_dates_as_users_write_them() -> None:
    assert parse_flags("0, 3,10") == (0, 3, 10)
    with pytest.raises(InputError, match="0,3,10"):
        parse_flags("zero")
    assert parse_date("2001/07/07") == parse_date("2001-07-07T10:00") == D(2001, 7, 7)
    assert parse_date(None) is None and parse_date("July") is None

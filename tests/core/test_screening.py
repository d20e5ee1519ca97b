"""Screening on hand-made series, where the bad fronts are known: each rule fires where it
should and stays quiet on steady, retreating and short series."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from osgeo import ogr, osr
from shapely.geometry import LineString, Polygon

from calfin_qgis.core.cli.commands import main
from calfin_qgis.core.errors import InputError
from calfin_qgis.core.geo import vectors
from calfin_qgis.core.screening.series import ScreenFront, screen_fronts
from calfin_qgis.core.terminus.inputs import EVERY_GLACIER, Layer

EPSG3413 = osr.SpatialReference()
EPSG3413.ImportFromEPSG(3413)
WKT = EPSG3413.ExportToWkt()
X0, Y0 = -190_000.0, -2_272_000.0
START = datetime.date(2015, 3, 1)


def line(y: float, seed: int, zigzag: float = 0.0, width: float = 5000.0) -> LineString:
    """A 5 km front across the fjord at ``y`` m, with 20 m of noise (and a zig-zag)."""
    x = np.linspace(0, width, 26)
    noise = np.random.default_rng(seed).normal(0, 20, x.size)
    teeth = zigzag * (np.arange(x.size) % 2 * 2 - 1)
    return LineString(np.c_[X0 + x, Y0 + y + noise + teeth])


def series(positions, glacier="g", every_days=30, **changes) -> list[ScreenFront]:
    """One front per ``every_days`` at the given positions; ``changes``: index -> geometry."""
    fronts = []
    for k, y in enumerate(positions):
        geometry = changes.get(f"f{k}", line(y, k))
        date = START + datetime.timedelta(days=every_days * k)
        fronts.append(ScreenFront(glacier, date, f"LC08_{k:02d}", geometry))
    return fronts


def screens(fronts, **layers) -> list[str]:
    return screen_fronts(Layer(fronts, WKT, "fronts"), **layers).screens


def test_a_front_displaced_2_km_in_a_steady_series_is_a_jump():
    positions = [0.0] * 12
    positions[6] = 2000.0
    result = screens(series(positions))
    assert "jump" in result[6].split(";")
    assert result[:6] + result[7:] == ["ok"] * 11


def test_a_retreat_that_stays_is_kept():
    result = screens(series([0.0] * 6 + [-3000.0] * 6))
    assert result == ["ok"] * 12


def test_a_seasonal_cycle_is_kept():
    days = np.arange(24) * 30
    result = screens(series(list(600 * np.sin(2 * np.pi * days / 365.25))))
    assert result == ["ok"] * 24


def test_a_retreat_at_the_last_date_is_unconfirmed():
    result = screens(series([0.0] * 9 + [-3000.0]))
    assert result[-1] != "ok" and result[:-1] == ["ok"] * 9


def test_a_zigzag_front_fails_smoothness():
    result = screens(series([0.0] * 10, f4=line(0, 4, zigzag=150)))
    assert "smoothness" in result[4].split(";")
    assert result.count("ok") == 9


def test_long_and_short_fronts_fail_length_and_short():
    fronts = series([0.0] * 10, f2=line(0, 2, width=1500), f7=line(0, 7, width=15000))
    result = screens(fronts)
    assert {"length", "short"} <= set(result[2].split(";"))
    assert "length" in result[7].split(";")
    assert result.count("ok") == 8


def test_an_out_and_back_faster_than_ice_flows_fails_rate():
    """Fronts two days apart: 600 m out and back is no glacier's motion (50 m/day)."""
    result = screens(series([0, 0, 0, 0, 600, 0, 0, 0], every_days=2))
    assert "rate" in result[4].split(";")
    # A year apart the same change is possible: rate stays quiet.
    assert "rate" not in screens(series([0, 0, 0, 0, 600, 0, 0, 0], every_days=365))[4]


def test_a_front_along_the_search_polygon_fails_edge():
    area = Polygon([(X0 - 100, Y0 - 4000), (X0 + 5100, Y0 - 4000), (X0 + 5100, Y0 + 4000)]).union(
        Polygon([(X0 - 100, Y0 - 4000), (X0 + 5100, Y0 + 4000), (X0 - 100, Y0 + 4000)])
    )
    along = LineString([(X0 + 100, Y0 + 3980), (X0 + 5000, Y0 + 3980)])
    polygons = Layer({EVERY_GLACIER: area}, WKT, "areas")
    result = screens(series([0.0] * 8, f3=along), areas=polygons)
    assert "edge" in result[3].split(";")
    assert result.count("ok") == 7


def test_uncertainty_keeps_a_departure_within_it():
    positions = [0.0] * 10
    positions[5] = 400.0
    fronts = series(positions)
    assert "jump" in screens(fronts)[5]
    sure = [ScreenFront(**{**f.__dict__, "uncertainty_m": 500.0}) for f in fronts]
    assert screens(sure)[5] == "ok"


@pytest.mark.parametrize("count", [1, 2])
def test_one_or_two_fronts_are_ok_with_a_note(count):
    result = screen_fronts(Layer(series([0.0, 5000.0][:count]), WKT, "fronts"))
    assert result.screens == ["ok"] * count
    assert any("too few for a series" in note for note in result.notes)


def test_reviewed_stays_and_rejected_is_left_out():
    fronts = series([0.0] * 8 + [2000.0] + [0.0] * 3)
    fronts[8] = ScreenFront(**{**fronts[8].__dict__, "screen": "reviewed"})
    fronts[2] = ScreenFront(
        **{**fronts[2].__dict__, "status": "rejected", "geometry": line(9e3, 2)}
    )
    result = screen_fronts(Layer(fronts, WKT, "fronts"))
    assert result.screens[8] == "reviewed"
    assert result.screens.count("ok") == 11
    assert any("rejected" in note for note in result.notes)
    assert any("without uncertainty_m" in note for note in result.notes)


def test_fronts_without_a_date_are_not_placed_in_time():
    fronts = series([0.0] * 8)
    fronts.append(ScreenFront("g", None, "hand", line(3000, 99)))
    result = screen_fronts(Layer(fronts, WKT, "fronts"))
    assert result.screens[-1] == "ok"  # no jump without a date; its shape is fine
    assert any("without a date" in note for note in result.notes)


def test_fronts_in_degrees_without_a_projected_layer_are_refused():
    wgs84 = osr.SpatialReference()
    wgs84.ImportFromEPSG(4326)
    fronts = [ScreenFront("g", START, "a", LineString([(-49, 69), (-48.9, 69)]))] * 3
    with pytest.raises(InputError, match="projected CRS"):
        screen_fronts(Layer(fronts, wgs84.ExportToWkt(), "fronts"))


def _write(path, fronts, with_date=True):
    fields = [("glacier_id", "str"), ("image_id", "str")] + (
        [("date", "date")] if with_date else []
    )
    records = [
        {"geometry": f.geometry, "glacier_id": f.glacier_id, "image_id": f.image_id, "date": f.date}
        for f in fronts
    ]
    vectors.write_fronts(path, records, fields, WKT)


def test_cli_writes_a_screened_copy_and_never_touches_the_input(tmp_path, capsys):
    positions = [0.0] * 12
    positions[6] = 2000.0
    source = tmp_path / "fronts.gpkg"
    _write(source, series(positions))
    before = source.read_bytes()
    out = tmp_path / "screened.gpkg"
    assert main(["screen", str(source), "--output", str(out)]) == 0
    assert source.read_bytes() == before
    ds = ogr.Open(str(out))
    values = [f["screen"] for f in ds.GetLayer(0)]
    assert "jump" in values[6] and values.count("ok") == 11
    assert "1 of 12 front(s) screened" in capsys.readouterr().out


def test_cli_refuses_the_input_as_output_and_a_layer_without_dates(tmp_path, capsys):
    source = tmp_path / "fronts.gpkg"
    _write(source, series([0.0] * 4))
    assert main(["screen", str(source), "--output", str(source), "--overwrite"]) == 2
    assert "never writes into its input" in capsys.readouterr().err
    undated = tmp_path / "undated.gpkg"
    _write(undated, series([0.0] * 4), with_date=False)
    assert main(["screen", str(undated), "--output", str(tmp_path / "o.gpkg")]) == 2
    assert "no 'date' field" in capsys.readouterr().err


def test_a_low_confidence_front_fails_confidence():
    fronts = series([0.0] * 6)
    fronts[2] = ScreenFront(**{**fronts[2].__dict__, "confidence": 0.4})
    fronts[3] = ScreenFront(**{**fronts[3].__dict__, "confidence": 0.9})
    assert screens(fronts) == ["ok", "ok", "confidence", "ok", "ok", "ok"]


def test_a_front_far_more_uncertain_than_its_glacier_fails_uncertain():
    fronts = [
        ScreenFront(**{**f.__dict__, "uncertainty_m": u})
        for f, u in zip(series([0.0] * 8), [50, 60, 55, 900, 45, 70, 65, 50], strict=True)
    ]
    assert screens(fronts) == ["ok"] * 3 + ["uncertain"] + ["ok"] * 4


def test_an_uncertainty_within_3_model_pixels_is_no_suspicion():
    """Above its series' fence, but 100 m is within 3 px of the 40 m grid: a good front."""
    fronts = [
        ScreenFront(**{**f.__dict__, "uncertainty_m": u})
        for f, u in zip(series([0.0] * 8), [30, 32, 31, 100, 30, 33, 31, 30], strict=True)
    ]
    assert screens(fronts) == ["ok"] * 8


def test_the_fronts_after_a_gap_in_the_record_are_not_jumps():
    """A year of fronts, five years without, then the two last ones 3 km back: the fronts
    either side of the gap are compared only with fronts of their own year."""
    fronts = series([0.0] * 12 + [-3000.0] * 2)
    late = datetime.timedelta(days=5 * 365)
    fronts[12:] = [ScreenFront(**{**f.__dict__, "date": f.date + late}) for f in fronts[12:]]
    result = screen_fronts(Layer(fronts, WKT, "fronts"))
    assert result.screens == ["ok"] * 14


def test_with_a_box_in_another_crs_positions_are_used_and_the_reprojection_said():
    """A 5 km wide box in UTM 22N around the fronts: a 2 km jump is found from positions."""
    from calfin_qgis.core.terminus.inputs import reproject

    utm = osr.SpatialReference()
    utm.ImportFromEPSG(32622)
    box = Polygon(
        [(X0 - 50, Y0 - 5000), (X0 + 5050, Y0 - 5000), (X0 + 5050, Y0 + 5000), (X0 - 50, Y0 + 5000)]
    )
    boxes = Layer({EVERY_GLACIER: reproject(box, WKT, utm.ExportToWkt())}, utm.ExportToWkt(), "b")
    positions = [0.0] * 12
    positions[6] = 2000.0
    result = screen_fronts(Layer(series(positions), WKT, "fronts"), boxes=boxes)
    assert "jump" in result.screens[6] and result.screens.count("ok") == 11
    assert any(note.startswith("b reprojected to") for note in result.notes)

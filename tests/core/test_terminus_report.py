"""The terminus-change report and the ``terminus`` CLI on files written with GDAL."""

from __future__ import annotations

import csv
import datetime
from pathlib import Path

import pytest
from osgeo import ogr

from calfin_qgis.core import schema
from calfin_qgis.core.cli.commands import main
from calfin_qgis.core.geo import vectors
from calfin_qgis.core.terminus.report import date_ticks, summarize, write_terminus_report
from calfin_qgis.core.terminus.table import Result, Row
from tests.core.test_terminus import BOX, CENTRELINE, WKT, across

D = datetime.date


def rows(*items) -> list[Row]:
    return [
        Row("g", date, f"img{i}", flag, 1, box_position_m=p)
        for i, (date, p, flag) in enumerate(items)
    ]


SERIES = rows(
    (D(2000, 1, 1), 3000.0, 0),
    (D(2000, 7, 1), 2400.0, 10),  # retreat 600 m
    (D(2001, 1, 1), 2900.0, 13),
    (D(2002, 1, 1), 2100.0, 3),  # retreat 800 m: the largest
)


def test_summary_gives_total_change_mean_rate_and_largest_retreat() -> None:
    summary = summarize(SERIES, "box_position_m")
    assert summary.total_m == -900.0
    assert summary.rate_m_per_yr == pytest.approx(-900 / (731 / 365.25))
    before, after, metres = summary.retreat
    assert (before.date, after.date, metres) == (D(2001, 1, 1), D(2002, 1, 1), -800.0)
    advancing = rows((D(2000, 1, 1), 1.0, 0), (D(2001, 1, 1), 2.0, 0))
    assert summarize(advancing, "box_position_m").retreat is None
    assert summarize(rows((None, 1.0, 0)), "box_position_m") is None


def test_date_ticks_are_years_or_months() -> None:
    assert [label for _, label in date_ticks(D(2001, 7, 7), D(2003, 7, 7))] == [
        "2001",
        "2002",
        "2003",
        "2004",
    ]
    months = [label for _, label in date_ticks(D(2000, 1, 15), D(2000, 12, 1))]
    assert months[0] == "2000-01" and "2000-07" in months and len(months) <= 9


def test_report_plots_each_glacier_with_labelled_axes_and_flag_colours(tmp_path) -> None:
    path = tmp_path / "report.html"
    result = Result(SERIES, WKT, ["1 rejected front(s) left out"], {"g": "box"})
    write_terminus_report(str(path), result)
    page = path.read_text()
    assert page.count("<svg") == 1 and "position (m)" in page and ">date<" in page
    assert ">2000<" in page and ">2002<" in page  # tick labels
    for colour in ("#08306b", "#4292c6", "#f16913", "#fdae6b"):  # qual_flag 0, 3, 10, 13
        assert f'fill="{colour}"' in page
    assert "-900.00 m" in page and "-800.00 m (2001-01-01 → 2002-01-01)" in page
    assert "Moon &amp; Joughin 2008" in page and "1 rejected front(s) left out" in page
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # nothing half-written left


def _write_inputs(folder: Path, date_field: bool = True) -> dict[str, Path]:
    fields = (
        schema.FRONT_FIELDS if date_field else [f for f in schema.FRONT_FIELDS if f[0] != "date"]
    )
    fronts = [
        {
            "glacier_id": "g",
            "image_id": f"img{i}",
            "date": d,
            "qual_flag": flag,
            "geometry": across(y),
        }
        for i, (d, y, flag) in enumerate(
            [(D(2000, 1, 1), 3000, 0), (D(2001, 1, 1), 2000, 10), (D(2001, 6, 1), 1000, 13)]
        )
    ]
    paths = {name: folder / f"{name}.gpkg" for name in ("fronts", "box", "centreline")}
    vectors.write_fronts(paths["fronts"], fronts, fields, WKT)
    for name, geometry in (("box", BOX), ("centreline", CENTRELINE)):
        ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(paths[name]))
        srs = ogr.osr.SpatialReference(wkt=WKT)
        layer = ds.CreateLayer(name, srs, ogr.wkbUnknown)
        layer.CreateField(ogr.FieldDefn("glacier_id", ogr.OFTString))
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetField("glacier_id", "g")
        feature.SetGeometry(ogr.CreateGeometryFromWkb(geometry.wkb))
        layer.CreateFeature(feature)
        ds = None
    return paths


def test_cli_writes_the_table_and_the_report(tmp_path, capsys) -> None:
    paths = _write_inputs(tmp_path)
    table, report = tmp_path / "t.csv", tmp_path / "r.html"
    args = [str(paths["fronts"]), "--box", str(paths["box"]), "--centreline"]
    args += [str(paths["centreline"]), "--output", str(table), "--report", str(report)]
    assert main(["terminus", *args]) == 0
    with open(table, newline="") as handle:
        lines = list(csv.DictReader(handle))
    assert [r["box_position_m"] for r in lines] == ["3000.000", "2000.000"]  # 13 left out
    assert [r["centreline_position_m"] for r in lines] == ["6000.000", "5000.000"]
    assert (
        lines[1]["change_m"] == "-1000.000" and lines[1]["rate_m_per_yr"] == "-997.951"
    )  # 366 days
    assert "QUAL_FLAGS 0,3,10" in capsys.readouterr().err
    assert "<svg" in report.read_text()
    assert main(["terminus", *args]) == 2  # exists: not overwritten without --overwrite
    assert main(["terminus", *args, "--overwrite", "--qual-flags", "0,10,13"]) == 0
    with open(table, newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 3


def test_cli_names_the_fix_for_a_layer_without_dates(tmp_path, capsys) -> None:
    paths = _write_inputs(tmp_path, date_field=False)
    table = tmp_path / "t.csv"
    assert (
        main(["terminus", str(paths["fronts"]), "--box", str(paths["box"]), "--output", str(table)])
        == 2
    )
    assert "no 'date' field" in capsys.readouterr().err
    assert not table.exists()
    (tmp_path / "dated").mkdir()
    dated = _write_inputs(tmp_path / "dated")["fronts"]
    assert main(["terminus", str(dated), "--output", str(table)]) == 2
    assert "box layer" in capsys.readouterr().err


def test_report_opens_with_coverage_and_plots_every_computed_method(tmp_path) -> None:
    methods = ("box", "curvilinear_box", "centreline")
    series = [
        Row(
            "g",
            d,
            f"img{i}",
            10,
            n,
            box_position_m=p,
            curvilinear_box_position_m=p + 5,
            centreline_position_m=p + 10,
        )
        for i, (d, p, n) in enumerate(
            [(D(2000, 1, 1), 3000.0, 1), (D(2000, 2, 1), 2990.0, 2), (D(2003, 1, 1), 2900.0, 1)]
        )
    ]
    other = [Row("h", D(2001, 5, 5), "x", 0, 1)]
    series[1].unusual_rate, series[1].rate_m_per_yr = True, -117.0
    result = Result([*series, *other], WKT, [], {"g": "centreline"}, {"g": methods})
    path = tmp_path / "r.html"
    write_terminus_report(str(path), result)
    page = path.read_text()
    assert page.index("Coverage") < page.index("Moon &amp; Joughin")  # the grid opens it
    grid = page[page.index('<table class="coverage">') : page.index("</table>")]
    assert [f">{y}<" in grid for y in range(2000, 2004)] == [True] * 4
    assert 'title="g 2000: 3 front(s)"' in grid and 'title="h 2001: 1 front(s)"' in grid
    assert "5 glacier-year(s) without a front" in page  # g 2001, 2002; h 2000, 2002, 2003
    for colour in ("#000000", "#1b9e77", "#7570b3"):  # box, curvilinear box, centreline
        assert f'stroke="{colour}"' in page
    assert "extrapolated centreline" not in page.split("</p>", 2)[-1].split("<table>")[0]
    assert 'stroke="#e31a1c"' in page and "beyond the usual range" in page
    assert "<b>centreline</b>" in page


def test_unusual_short_interval_rates_are_marked_not_hidden() -> None:
    from calfin_qgis.core.terminus.table import add_change

    dates = [D(2000, 1, 1), D(2000, 7, 1), D(2001, 1, 1), D(2001, 7, 1), D(2001, 7, 21)]
    positions = [3000.0, 2950.0, 2900.0, 2850.0, 2350.0]  # then 500 m in 20 days
    series = [
        Row("g", d, "", 10, 1, box_position_m=p) for d, p in zip(dates, positions, strict=True)
    ]
    add_change(series, "box_position_m")
    assert [r.unusual_rate for r in series] == [False, False, False, False, True]
    assert series[-1].rate_m_per_yr == pytest.approx(-500 / (20 / 365.25))
    assert "rate over 20 days beyond the glacier's usual range" in series[-1].warning
    # the same step over a year is a change of pace, not a short-interval outlier
    series = [
        Row("g", d, "", 10, 1, box_position_m=p) for d, p in zip(dates, positions, strict=True)
    ]
    series[-1].date = D(2002, 7, 1)
    add_change(series, "box_position_m")
    assert not any(r.unusual_rate for r in series)


def test_cli_computes_every_method_and_writes_profiles_and_geometry(tmp_path, capsys) -> None:
    paths = _write_inputs(tmp_path)
    out = {name: tmp_path / name for name in ("t.csv", "p.csv", "g.gpkg", "r.html", "c.gpkg")}
    args = [str(paths["fronts"]), "--box", str(paths["box"]), "--centreline"]
    args += [str(paths["centreline"]), "--box-width", "1000", "--method", "multi_centreline"]
    args += ["--output", str(out["t.csv"]), "--profiles", str(out["p.csv"])]
    args += ["--geometry", str(out["g.gpkg"]), "--report", str(out["r.html"])]
    assert main(["terminus", *args, "--box-cuts", str(out["c.gpkg"])]) == 0
    text = out["t.csv"].read_text()
    header = text.splitlines()[0].split(",")
    assert header[5:12] == [
        "box_position_m",
        "curvilinear_box_position_m",
        "centreline_position_m",
        "extrapolated_centreline_position_m",
        "multi_centreline_position_m",
        "extended_m",
        "change_m",
    ]
    assert text.splitlines()[1].startswith(
        "g,2000-01-01,img0,0,1,3000.000,6000.000,6000.000,6000.000,6000.000,0.000,0.000,,"
    )
    with open(out["p.csv"], newline="") as handle:
        profile = list(csv.DictReader(handle))
    assert len(profile) == 2 * 11 and {p["position_m"] for p in profile} == {"6000.000", "5000.000"}
    ds = ogr.Open(str(out["g.gpkg"]))
    kinds = sorted(f.GetField("kind") for f in ds.GetLayer(0))
    assert kinds == ["box", "centreline", "curvilinear_box"]
    ds = ogr.Open(str(out["c.gpkg"]))
    cuts = [(f.GetField("box"), f.GetGeometryRef().GetArea()) for f in ds.GetLayer(0)]
    assert cuts == [("box", pytest.approx(3e6)), ("box", pytest.approx(2e6))]  # 1,000 m wide
    ds = None
    assert "curvilinear box" in out["r.html"].read_text()
    with pytest.raises(SystemExit):
        main(["terminus", *args, "--overwrite", "--method", "area"])


def test_cli_measures_from_glacier_polygons_alone(tmp_path, capsys) -> None:
    from shapely.geometry import Polygon

    from tests.core.test_terminus import X0, Y0

    fronts = tmp_path / "fronts.gpkg"
    records = [
        {
            "glacier_id": "g",
            "image_id": f"i{k}",
            "date": d,
            "qual_flag": 10,
            "flow_azimuth": 0.0,
            "geometry": across(y),
        }
        for k, (d, y) in enumerate(((D(2000, 1, 1), 1000), (D(2001, 1, 1), 2500)))
    ]
    vectors.write_fronts(fronts, records, schema.FRONT_FIELDS, WKT)
    fjord = Polygon(
        [
            (X0 - 200, Y0 - 2000),
            (X0 + 1200, Y0 - 2000),
            (X0 + 1200, Y0 + 6000),
            (X0 - 200, Y0 + 6000),
        ]
    )
    glaciers = tmp_path / "glaciers.gpkg"
    vectors.write_fronts(
        glaciers,
        [{"glacier_id": "g", "geometry": fjord}],
        [("glacier_id", "str")],
        WKT,
        geometry_type=ogr.wkbPolygon,
    )
    table, geometry = tmp_path / "t.csv", tmp_path / "used.gpkg"
    args = [str(fronts), "--glaciers", str(glaciers), "--method", "curvilinear_box"]
    assert main(["terminus", *args, "--output", str(table), "--geometry", str(geometry)]) == 0
    with open(table, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["change_m"] for r in rows] == ["0.000", "1500.000"]
    assert [r["extended_m"] for r in rows] == ["200.000", "200.000"]
    ds = ogr.Open(str(geometry))
    assert sorted(f.GetField("origin") for f in ds.GetLayer(0)) == ["automatic", "automatic"]
    ds = None
    # hand-drawn fronts (no flow_azimuth): nothing measured, and the reason
    for record in records:
        record["flow_azimuth"] = None
    vectors.write_fronts(fronts, records, schema.FRONT_FIELDS, WKT, overwrite=True)
    assert main(["terminus", *args, "--output", str(table), "--overwrite"]) == 0
    assert "no front records its ice side" in capsys.readouterr().err

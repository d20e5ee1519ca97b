"""calfin:terminus_change through processing.run and qgis_process, in real headless QGIS."""

from __future__ import annotations

import csv
import datetime
import os
import subprocess
from pathlib import Path

import pytest
from osgeo import ogr, osr
from qgis.core import NULL, QgsProcessingException, QgsVectorLayer
from shapely import affinity
from shapely.geometry import LineString, Polygon

from calfin_qgis.core import schema
from calfin_qgis.core.geo import vectors
from tests.conftest import ROOT, SAMPLE_FRONT
from tests.core.test_terminus import BOX, CENTRELINE, WKT, X0, Y0, across

pytestmark = pytest.mark.usefixtures("plugin")
D = datetime.date
FIELDS = (*schema.FRONT_FIELDS, ("status", "str"))


def run(params: dict) -> dict:
    import processing

    return processing.run("calfin:terminus_change", params)


def write_layer(path: Path, geometries: dict, crs_wkt: str = WKT) -> Path:
    """Polygons or lines keyed by glacier id, in a GeoPackage with a glacier_id field."""
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    first = next(iter(geometries.values()))
    kind = ogr.wkbPolygon if first.geom_type == "Polygon" else ogr.wkbLineString
    layer = ds.CreateLayer(path.stem, osr.SpatialReference(wkt=crs_wkt), kind)
    layer.CreateField(ogr.FieldDefn("glacier_id", ogr.OFTString))
    for glacier, geometry in geometries.items():
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetField("glacier_id", glacier)
        feature.SetGeometry(ogr.CreateGeometryFromWkb(geometry.wkb))
        layer.CreateFeature(feature)
    ds = None
    return path


def front(date, geometry, flag=10, status="", image="", glacier="g") -> dict:
    return {
        "glacier_id": glacier,
        "image_id": image or f"scene_{date}",
        "date": date,
        "qual_flag": flag,
        "geometry": geometry,
        "status": status,
    }


def utm_box() -> Polygon:
    """BOX in UTM zone 22N, corner for corner: the algorithm must bring it back to EPSG:3413."""
    utm, polar = osr.SpatialReference(), osr.SpatialReference(wkt=WKT)
    utm.ImportFromEPSG(32622)
    for srs in (utm, polar):
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    transform = osr.CoordinateTransformation(polar, utm)
    return Polygon([transform.TransformPoint(x, y)[:2] for x, y in BOX.exterior.coords]), utm


def table(path: str) -> list:
    return sorted(QgsVectorLayer(path).getFeatures(), key=lambda f: (f["glacier_id"], f["date"]))


def test_positions_change_rate_and_box_cuts_on_hand_made_fronts(tmp_path) -> None:
    fronts = tmp_path / "fronts.gpkg"
    records = [
        front(D(2000, 1, 1), across(3000), flag=0),
        front(D(2000, 7, 1), across(2500), status="accepted"),
        front(D(2000, 7, 1), LineString([(0, 0), (1, 1)])),  # a stray piece: same date, union
        front(D(2001, 1, 1), across(1000), status="rejected"),  # never used
        front(D(2001, 7, 1), across(2000, 3000), flag=3),  # slanted: mean 2,500
        front(D(2002, 1, 1), LineString([(0, 0), (1, 1)]), glacier="g"),  # misses the box
    ]
    vectors.write_fronts(fronts, records, FIELDS, WKT)
    box, utm = utm_box()
    out = run(
        {
            "INPUT": str(fronts),
            "BOX": str(write_layer(tmp_path / "box.gpkg", {"g": box}, utm.ExportToWkt())),
            "CENTRELINE": str(write_layer(tmp_path / "line.gpkg", {"g": CENTRELINE})),
            "OUTPUT": str(tmp_path / "positions.gpkg"),
            "REPORT": str(tmp_path / "report.html"),
            "BOX_CUTS": str(tmp_path / "cuts.gpkg"),
        }
    )
    rows = table(out["OUTPUT"])
    assert [r["date"].toPyDate() for r in rows] == [
        D(2000, 1, 1),
        D(2000, 7, 1),
        D(2001, 7, 1),
        D(2002, 1, 1),
    ]
    assert [r["box_position_m"] for r in rows[:3]] == pytest.approx([3000, 2500, 2500], abs=0.01)
    assert [r["centreline_position_m"] for r in rows[:3]] == pytest.approx(
        [6000, 5500, 5500], abs=0.01
    )
    assert rows[1]["n_fronts"] == 2 and rows[1]["change_m"] == pytest.approx(-500, abs=0.01)
    assert rows[1]["rate_m_per_yr"] == pytest.approx(-500 / (182 / 365.25), abs=0.01)
    assert rows[2]["change_m"] == pytest.approx(-500, abs=0.01)
    assert rows[2]["rate_m_per_yr"] == pytest.approx(0, abs=0.01)
    missed = rows[3]
    assert missed["box_position_m"] == NULL and missed["change_m"] == NULL
    assert "lies outside the box" in missed["warning"]
    cuts = QgsVectorLayer(out["BOX_CUTS"])
    assert cuts.crs().authid() == "EPSG:3413" and cuts.featureCount() == 3
    areas = sorted(f.geometry().area() for f in cuts.getFeatures())
    assert areas == pytest.approx([2.5e6, 2.5e6, 3.0e6], rel=1e-6)  # 1,000 m wide
    html = Path(out["REPORT"]).read_text()
    assert "<svg" in html and "1 rejected front(s) left out" in html


def test_errors_name_the_fix(tmp_path) -> None:
    no_date = tmp_path / "no_date.gpkg"
    fields = [f for f in FIELDS if f[0] != "date"]
    vectors.write_fronts(no_date, [front(D(2000, 1, 1), across(1000))], fields, WKT)
    box = str(write_layer(tmp_path / "box.gpkg", {"g": BOX}))
    empty = tmp_path / "empty.gpkg"
    vectors.write_fronts(empty, [], FIELDS, WKT)
    out = str(tmp_path / "t.gpkg")
    cases = [
        ({"INPUT": str(no_date), "BOX": box}, "no 'date' field"),
        ({"INPUT": str(SAMPLE_FRONT)}, "Give a box layer"),
        ({"INPUT": str(SAMPLE_FRONT), "BOX": box, "GLACIER_FIELD": "name"}, "'name'"),
        ({"INPUT": str(empty), "BOX": box}, "holds no fronts"),
        ({"INPUT": str(SAMPLE_FRONT), "BOX": box, "QUAL_FLAGS": "ten"}, "0,3,10"),
    ]
    for params, message in cases:
        with pytest.raises(QgsProcessingException, match=message):
            run({**params, "OUTPUT": out})
    assert not Path(out).exists()


def _jakobshavn(tmp_path: Path, fronts_path: Path) -> dict:
    """Box and centreline over the sample scene's fjord (the glacier flows north on its grid):
    2.4 km wide between the fjord walls, from 2.5 km upstream of the 2001 front."""
    box = Polygon(
        [(-186400, -2272000), (-184000, -2272000), (-184000, -2266000), (-186400, -2266000)]
    )
    line = LineString([(-185200, -2274000), (-185200, -2266000)])
    return {
        "INPUT": str(fronts_path),
        "BOX": str(write_layer(tmp_path / "box.gpkg", {"jakobshavn_isbrae": box})),
        "CENTRELINE": str(write_layer(tmp_path / "line.gpkg", {"jakobshavn_isbrae": line})),
        "GLACIER_FIELD": "glacier_id",
    }


def test_jakobshavn_detected_front_sits_where_the_manual_one_does(
    model_path, sample_scene, tmp_path
) -> None:
    """The real model's front of the sample scene against the manual front, and a time series
    of the manual front moved 600 m upstream then 300 m back (a box with straight walls)."""
    import processing

    detected = processing.run(
        "calfin:detect_fronts",
        {
            "INPUT": str(sample_scene),
            "GLACIER_ID": "jakobshavn_isbrae",
            "FLOW": 1,  # up
            "OUTPUT": str(tmp_path / "detected.gpkg"),
        },
    )["OUTPUT"]
    azimuths = [f["flow_azimuth"] for f in QgsVectorLayer(detected).getFeatures()]
    # the ice flows north on the sample's grid: the recorded ice side says so
    assert azimuths and all(min(a, 360 - a) < 45 for a in azimuths)
    params = _jakobshavn(tmp_path, Path(detected))
    auto = table(run({**params, "OUTPUT": str(tmp_path / "auto.gpkg")})["OUTPUT"])
    assert "reversed" not in auto[0]["warning"] and "contradicts" not in auto[0]["warning"]
    manual = table(
        run({**params, "INPUT": str(SAMPLE_FRONT), "OUTPUT": str(tmp_path / "m.gpkg")})["OUTPUT"]
    )
    assert len(auto) == len(manual) == 1
    assert 2000 < manual[0]["box_position_m"] < 3500
    assert abs(auto[0]["box_position_m"] - manual[0]["box_position_m"]) < 200
    assert abs(auto[0]["centreline_position_m"] - manual[0]["centreline_position_m"]) < 200

    line = next(QgsVectorLayer(str(SAMPLE_FRONT)).getFeatures())
    from shapely import wkb

    geometry = wkb.loads(bytes(line.geometry().asWkb()))
    moved = [
        front(D(2001, 7, 7), geometry, flag=0, glacier="jakobshavn_isbrae"),
        front(D(2002, 7, 7), affinity.translate(geometry, 0, -600), glacier="jakobshavn_isbrae"),
        front(D(2003, 7, 7), affinity.translate(geometry, 0, -300), glacier="jakobshavn_isbrae"),
    ]
    series = tmp_path / "series.gpkg"
    vectors.write_fronts(series, moved, FIELDS, WKT)
    rows = table(
        run({**params, "INPUT": str(series), "OUTPUT": str(tmp_path / "s.gpkg")})["OUTPUT"]
    )
    assert [r["change_m"] for r in rows] == pytest.approx([0, -600, -300], abs=0.01)
    assert rows[0]["box_position_m"] == pytest.approx(manual[0]["box_position_m"])


def test_qgis_process_runs_terminus_change(tmp_path) -> None:
    fronts = tmp_path / "fronts.gpkg"
    vectors.write_fronts(
        fronts, [front(D(2000, 1, 1), across(1000)), front(D(2001, 1, 1), across(800))], FIELDS, WKT
    )
    box = write_layer(tmp_path / "box.gpkg", {"g": BOX})
    out, report = tmp_path / "positions.csv", tmp_path / "report.html"
    args = f"run calfin:terminus_change -- INPUT={fronts} BOX={box} OUTPUT={out} REPORT={report}"
    result = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "qgis_process", f"ARGS={args}"],
        env={**os.environ, "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [float(r["box_position_m"]) for r in rows] == pytest.approx([1000, 800])
    assert float(rows[1]["change_m"]) == pytest.approx(-200)
    assert "<svg" in report.read_text()


def test_processing_and_cli_write_the_same_table_by_every_method(tmp_path) -> None:
    from calfin_qgis.core.cli.commands import main

    fronts = tmp_path / "fronts.gpkg"
    short = LineString([(X0 + 200, Y0 + 2000), (X0 + 700, Y0 + 2000)])  # short of the walls
    records = [
        front(D(2000, 1, 1), across(3000), flag=0),
        front(D(2001, 7, 1), across(2000, 3000), flag=3),
        front(D(2002, 1, 1), short),
    ]
    vectors.write_fronts(fronts, records, FIELDS, WKT)
    box = write_layer(tmp_path / "box.gpkg", {"g": BOX})
    line = write_layer(tmp_path / "line.gpkg", {"g": CENTRELINE})
    qgis = {name: tmp_path / f"qgis_{name}" for name in ("t.csv", "p.csv", "g.gpkg")}
    out = run(
        {
            "INPUT": str(fronts),
            "BOX": str(box),
            "CENTRELINE": str(line),
            "BOX_WIDTH": 1000,
            "METHOD": "extrapolated_centreline",
            "OUTPUT": str(qgis["t.csv"]),
            "PROFILES": str(qgis["p.csv"]),
            "GEOMETRY": str(qgis["g.gpkg"]),
        }
    )
    cli = {name: tmp_path / f"cli_{name}" for name in ("t.csv", "p.csv")}
    args = [str(fronts), "--box", str(box), "--centreline", str(line), "--box-width", "1000"]
    args += ["--method", "extrapolated_centreline", "--output", str(cli["t.csv"])]
    assert main(["terminus", *args, "--profiles", str(cli["p.csv"])]) == 0
    assert Path(out["OUTPUT"]).read_text() == cli["t.csv"].read_text()
    assert Path(out["PROFILES"]).read_text() == cli["p.csv"].read_text()
    with open(cli["t.csv"], newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["date"] for r in rows] == ["2000-01-01", "2001-07-01", "2002-01-01"]
    assert rows[1]["box_position_m"] == "2500.000"
    assert rows[1]["multi_centreline_position_m"] == "5500.000"
    assert rows[1]["extrapolated_centreline_position_m"] == "5500.000"
    assert rows[1]["curvilinear_box_position_m"] == "5500.000"  # from the centreline's start
    assert rows[2]["extended_m"] == "500.000" and "front extended 500 m" in rows[2]["warning"]
    assert rows[2]["change_m"] == "-1000.000"  # extrapolated centreline: 6,000 → 5,000 m
    geometry = QgsVectorLayer(out["GEOMETRY"])
    assert sorted(f["kind"] for f in geometry.getFeatures()) == [
        "box",
        "centreline",
        "curvilinear_box",
    ]


def test_glacier_polygons_alone_give_a_time_series_of_detected_fronts(tmp_path) -> None:
    fronts = tmp_path / "fronts.gpkg"
    records = [
        {**front(D(2000 + i, 1, 1), across(y)), "flow_azimuth": 0.0}
        for i, y in enumerate((1000, 2500, 2000))
    ]
    vectors.write_fronts(fronts, records, FIELDS, WKT)
    fjord = Polygon(
        [
            (X0 - 200, Y0 - 2000),
            (X0 + 1200, Y0 - 2000),
            (X0 + 1200, Y0 + 6000),
            (X0 - 200, Y0 + 6000),
        ]
    )
    out = run(
        {
            "INPUT": str(fronts),
            "GLACIERS": str(write_layer(tmp_path / "glaciers.gpkg", {"g": fjord})),
            "METHOD": "curvilinear_box",
            "OUTPUT": str(tmp_path / "t.gpkg"),
            "GEOMETRY": str(tmp_path / "geometry.gpkg"),
            "REPORT": str(tmp_path / "r.html"),
        }
    )
    rows = table(out["OUTPUT"])
    assert [r["change_m"] for r in rows] == pytest.approx([0, 1500, 1000], abs=1e-3)
    assert [r["extended_m"] for r in rows] == pytest.approx([200] * 3, abs=1e-3)
    kinds = {f["kind"]: f for f in QgsVectorLayer(out["GEOMETRY"]).getFeatures()}
    assert set(kinds) == {"centreline", "curvilinear_box"}
    assert kinds["curvilinear_box"]["origin"] == "automatic"
    assert kinds["curvilinear_box"]["width_m"] == pytest.approx(1400)
    assert "Coverage" in Path(out["REPORT"]).read_text()

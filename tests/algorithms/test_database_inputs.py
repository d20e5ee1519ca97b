"""Database fronts wherever fronts are taken: calfin:terminus_change's INPUT (CALFIN lines by
glacier name, TermPicks by GLACIER_MAP, month 00 kept) and the shell's terminus command."""

from __future__ import annotations

import csv

import pytest
from shapely import affinity
from shapely.geometry import Point

from calfin_qgis.core.databases.read import read_fronts_any
from calfin_qgis.core.databases.schemas import CALFIN_FIELDS, TERMPICKS_FIELDS
from tests.algorithms.feedback import Log
from tests.conftest import DATA, SAMPLE_FRONT
from tests.database_layers import calfin_row, glacier_map, write_layer

pytestmark = pytest.mark.usefixtures("plugin")
BOX = DATA / "timeseries" / "box.gpkg"
CENTRELINE = DATA / "timeseries" / "centreline.gpkg"


def front(dy: float):
    return affinity.translate(read_fronts_any(SAMPLE_FRONT).records[0]["geometry"], 0, dy)


def positions(path) -> list[tuple[str, str]]:
    with open(path, newline="") as table:
        return [(r["date"].replace("/", "-"), r["change_m"]) for r in csv.DictReader(table)]


def test_terminus_change_takes_calfin_fronts(tmp_path):
    import processing

    rows = [
        calfin_row(front(0), "2001-07-07", "LE07_L1TP_009011_20010707_20170204_01_T1"),
        calfin_row(front(-500), "2002-08-27", "LE07_L1TP_009011_20020827_20170128_01_T1"),
    ]
    fronts = write_layer(tmp_path / "termini_1972-2019_Jakobshavn_v1.0.shp", CALFIN_FIELDS, rows)
    result = processing.run(
        "calfin:terminus_change",
        {"INPUT": str(fronts), "BOX": str(BOX), "OUTPUT": str(tmp_path / "t.csv")},
    )
    dates = positions(result["OUTPUT"])
    assert [d for d, _ in dates] == ["2001-07-07", "2002-08-27"]
    assert float(dates[1][1]) == pytest.approx(-500, abs=5)  # a 500 m retreat


def termpicks(tmp_path):
    def row(dy, date, year, month, day):
        return {"GlacierID": 17, "Date": date, "Year": year, "Month": month, "Day": day}

    rows = [
        {**row(0, "2001-07-07", 2001, 7, 7), "QualFlag": 0, "geometry": front(0)},
        {**row(0, "2004-00-00", 2004, 0, 0), "QualFlag": 0, "geometry": front(-300)},
    ]
    return write_layer(tmp_path / "TermPicks_V2.shp", TERMPICKS_FIELDS, rows)


def test_terminus_change_takes_termpicks_with_a_glacier_map(tmp_path):
    import processing

    map_path = glacier_map(tmp_path / "map.gpkg", 17, Point(0, 0))
    log = Log()
    result = processing.run(
        "calfin:terminus_change",
        {
            "INPUT": str(termpicks(tmp_path)),
            "CENTRELINE": str(CENTRELINE),
            "GLACIER_MAP": str(map_path),
            "OUTPUT": str(tmp_path / "t.csv"),
        },
        feedback=log,
    )
    dates = positions(result["OUTPUT"])
    assert [d for d, _ in dates] == ["2001-07-07", "2004-07-01"]  # month 00: kept, 1 July
    assert float(dates[1][1]) == pytest.approx(-300, abs=5)
    assert any("month or day 00" in w for w in log.warnings)


def test_shell_terminus_takes_termpicks(tmp_path, capsys):
    from calfin_qgis.core.cli.commands import main

    args = ["terminus", str(termpicks(tmp_path)), "--centreline", str(CENTRELINE)]
    assert main([*args, "--output", str(tmp_path / "t.csv")]) == 0
    err = capsys.readouterr().err
    assert "GLACIER_MAP" in err  # integer ids, no map: kept as numbers, and said how to map


def calfin_series(tmp_path, positions, bad_date_at: int | None = None):
    """A CALFIN level-1 shapefile of one glacier's monthly fronts at ``positions`` (m)."""
    from tests.core.test_screening import series

    rows = [
        calfin_row(f.geometry, f.date.isoformat(), f"LC08_L1TP_009011_{f.date:%Y%m%d}_X_01_T1")
        for f in series(positions)
    ]
    if bad_date_at is not None:
        rows[bad_date_at]["Date"] = "2015-13-45"
    return write_layer(tmp_path / "termini_1972-2019_Jakobshavn_v1.0.shp", CALFIN_FIELDS, rows)


def jump_series() -> list[float]:
    positions = [0.0] * 12
    positions[6] = 2000.0
    return positions


def test_screen_fronts_takes_calfin_fronts_and_keeps_their_fields(tmp_path):
    import processing
    from osgeo import ogr

    source = calfin_series(tmp_path, jump_series(), bad_date_at=2)
    before = source.read_bytes()
    log = Log()
    out = tmp_path / "screened.gpkg"
    result = processing.run(
        "calfin:screen_fronts", {"INPUT": str(source), "OUTPUT": str(out)}, feedback=log
    )
    assert result["SUSPECTS"] == 1
    ds = ogr.Open(str(out))  # kept: its layer dies with it
    layer = ds.GetLayer(0)
    assert [f.GetName() for f in layer.schema] == [n for n, _ in CALFIN_FIELDS] + ["screen"]
    screens = [f["screen"] for f in layer]
    assert "jump" in screens[6] and screens.count("ok") == 11
    assert [f["RefName"] for f in layer] == ["Jakobshavn"] * 12
    assert any("feature 3: date '2015-13-45'" in w for w in log.warnings)  # the reading's note
    assert source.read_bytes() == before


def test_shell_screen_takes_calfin_fronts(tmp_path, capsys):
    from osgeo import ogr

    from calfin_qgis.core.cli.commands import main

    source = calfin_series(tmp_path, jump_series(), bad_date_at=2)
    out = tmp_path / "screened.gpkg"
    assert main(["screen", str(source), "--output", str(out)]) == 0
    captured = capsys.readouterr()
    assert "1 of 12 front(s) screened" in captured.out
    assert "does not read as a date" in captured.err
    ds = ogr.Open(str(out))  # kept: its layer dies with it
    layer = ds.GetLayer(0)
    assert "jump" in [f["screen"] for f in layer][6]
    assert layer.schema[0].GetName() == "GlacierID"


def test_fine_tune_model_refuses_termpicks_without_image_ids(tmp_path):
    import processing
    from qgis.core import QgsProcessingException

    params = {"FRONTS": str(termpicks(tmp_path)), "SCENES": str(tmp_path)}
    with pytest.raises(QgsProcessingException, match="no image id.*scenes cannot be found"):
        processing.run("calfin:fine_tune_model", {**params, "OUTPUT": str(tmp_path / "m.onnx")})


def test_fine_tune_model_looks_for_the_scenes_of_calfin_fronts(tmp_path):
    import processing
    from qgis.core import QgsProcessingException

    pytest.importorskip("torch", reason="fine-tuning needs PyTorch (optional)")
    pytest.importorskip("onnx", reason="fine-tuning needs onnx (optional)")
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    params = {"FRONTS": str(calfin_series(tmp_path, [0.0] * 3)), "SCENES": str(scenes)}
    with pytest.raises(QgsProcessingException, match="No scene found .* for 3 image id"):
        processing.run("calfin:fine_tune_model", {**params, "OUTPUT": str(tmp_path / "m.onnx")})

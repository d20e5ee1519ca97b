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
from tests.database_layers import calfin_row, write_layer

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

    glacier_map = write_layer(
        tmp_path / "map.gpkg",
        [("glacier_id", "str"), ("GlacierID", "int")],
        [{"glacier_id": "jakobshavn_isbrae", "GlacierID": 17, "geometry": Point(0, 0)}],
    )
    log = Log()
    result = processing.run(
        "calfin:terminus_change",
        {
            "INPUT": str(termpicks(tmp_path)),
            "CENTRELINE": str(CENTRELINE),
            "GLACIER_MAP": str(glacier_map),
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

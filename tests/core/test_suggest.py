"""Which scenes to correct before fine-tuning: per glacier, the most suspect scene of each
span of the record (no front, then screened, then the largest uncertainty)."""

from __future__ import annotations

import csv

import pytest
from osgeo import ogr, osr
from shapely.geometry import LineString

from calfin_qgis.core.batch.output import BatchOutput
from calfin_qgis.core.cli.commands import main
from calfin_qgis.core.errors import InputError
from calfin_qgis.core.finetune.suggest import suggest

SRS = osr.SpatialReference()
SRS.ImportFromEPSG(3413)


def image_id(k: int) -> str:
    return f"LC08_L1TP_008011_2015{k + 1:02d}01_20170101_01_T1"


# index -> (status, screen, uncertainty_m); 6 was reviewed, 11 skipped by the batch
SCENES = {
    0: ("ok", "ok", 50.0),
    1: ("ok", "ok", 80.0),  # span 1: the larger uncertainty
    2: ("no front", None, None),  # span 2: no front beats a screened front
    3: ("ok", "jump", 500.0),
    4: ("ok", "length", 40.0),  # span 3: screened beats a larger uncertainty
    5: ("ok", "ok", 900.0),
    6: ("ok", "reviewed", 999.0),  # already decided: never suggested
    7: ("ok", "ok", 10.0),
    8: ("ok", "ok", 20.0),  # span 4
    9: ("ok", "ok", 30.0),  # span 5
    10: ("ok", "ok", 5.0),
    11: ("skipped: outside dates", None, None),
}


@pytest.fixture
def batch_output(tmp_path):
    path = tmp_path / "batch.gpkg"
    out = BatchOutput(path, SRS.ExportToWkt())
    for glacier, scenes in (("g1", SCENES), ("g2", {0: ("ok", "ok", 70.0)})):
        for k, (status, _, uncertainty) in scenes.items():
            row = {"image_id": image_id(k), "glacier_id": glacier, "source": f"/s/{k}.tif"}
            fronts = (
                []
                if status != "ok"
                else [
                    {
                        "image_id": image_id(k),
                        "glacier_id": glacier,
                        "uncertainty_m": uncertainty,
                        "geometry": LineString([(k, 0), (k, 1)]),
                    }
                ]
            )
            out.add([{**row, "status": status, "fronts": len(fronts)}], fronts)
    out.close()
    ds = ogr.Open(str(path), 1)
    layer = ds.GetLayerByName("fronts")
    layer.CreateField(ogr.FieldDefn("screen", ogr.OFTString))
    for feature in layer:
        k = int(feature["image_id"].split("_")[3][4:6]) - 1
        feature["screen"] = SCENES[k][1] if feature["glacier_id"] == "g1" else "ok"
        layer.SetFeature(feature)
    ds = None
    return path


def test_each_span_gives_its_most_suspect_scene(batch_output):
    chosen, notes = suggest(batch_output, count=5)
    assert notes == []
    picked = [(s.glacier_id, s.image_id) for s in chosen]
    assert picked == [("g1", image_id(k)) for k in (1, 2, 4, 8, 9)] + [("g2", image_id(0))]
    reasons = [s.reason for s in chosen]
    assert reasons[1] == "no front found" and chosen[1].source == "/s/2.tif"
    assert reasons[2] == "screened: length"
    assert reasons[0] == "largest uncertainty of its span: 80 m"


def test_one_glacier_and_fewer_spans(batch_output):
    chosen, _ = suggest(batch_output, count=1, glacier="g1")
    assert [s.image_id for s in chosen] == [image_id(2)]  # the only scene without a front
    with pytest.raises(InputError, match="No scene of glacier 'g3'.*g1, g2"):
        suggest(batch_output, glacier="g3")
    with pytest.raises(InputError, match="at least one"):
        suggest(batch_output, count=0)


def test_not_a_batch_output(tmp_path):
    with pytest.raises(InputError, match="not found"):
        suggest(tmp_path / "missing.gpkg")
    other = tmp_path / "other.gpkg"
    ogr.GetDriverByName("GPKG").CreateDataSource(str(other)).CreateLayer("lines", SRS)
    with pytest.raises(InputError, match="no 'fronts' layer"):
        suggest(other)


def test_cli_prints_and_writes_csv(batch_output, tmp_path, capsys):
    table = tmp_path / "to_correct.csv"
    assert main(["suggest", str(batch_output), "--count", "2", "--csv", str(table)]) == 0
    printed = capsys.readouterr().out
    assert "no front found" in printed and "3 scene(s) to correct" in printed
    rows = list(csv.DictReader(table.open()))
    assert [r["date"] for r in rows] == ["2015-03-01", "2015-06-01", "2015-01-01"]
    assert main(["suggest", str(batch_output), "--csv", str(table)]) == 2  # exists


def test_a_scene_given_a_front_in_the_review_is_not_suggested_again(batch_output):
    """The dock's redrawn front for the scene without one (review field status)."""
    ds = ogr.Open(str(batch_output), 1)
    layer = ds.GetLayerByName("fronts")
    layer.CreateField(ogr.FieldDefn("status", ogr.OFTString))
    feature = ogr.Feature(layer.GetLayerDefn())
    feature["image_id"], feature["glacier_id"], feature["status"] = image_id(2), "g1", "redrawn"
    feature.SetGeometry(ogr.CreateGeometryFromWkt("LINESTRING (2 0, 2 1)"))
    layer.CreateFeature(feature)
    ds = None
    chosen, _ = suggest(batch_output, count=5, glacier="g1")
    assert image_id(2) not in [s.image_id for s in chosen]
    assert chosen[1].image_id == image_id(3) and chosen[1].reason == "screened: jump"

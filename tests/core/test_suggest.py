"""Which scenes to correct before fine-tuning: per glacier, the most suspect scene of each
span of the record (no front, then screened, then the largest uncertainty)."""

from __future__ import annotations

import csv

import pytest
from osgeo import ogr

from calfin_qgis.core.cli.commands import main
from calfin_qgis.core.errors import InputError
from calfin_qgis.core.finetune.suggest import suggest
from tests.batch_outputs import SRS, image_id, suspect_batch


@pytest.fixture
def batch_output(tmp_path):
    return suspect_batch(tmp_path / "batch.gpkg")


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


def test_a_front_rejected_in_review_counts_as_none(batch_output):
    ds = ogr.Open(str(batch_output), 1)
    layer = ds.GetLayerByName("fronts")
    layer.CreateField(ogr.FieldDefn("status", ogr.OFTString))
    for feature in layer:
        if feature["image_id"] == image_id(0) and feature["glacier_id"] == "g1":
            feature["status"] = "rejected"
            layer.SetFeature(feature)
    ds = None
    chosen, _ = suggest(batch_output, count=5, glacier="g1")
    assert chosen[0].image_id == image_id(0)
    assert chosen[0].reason == "its front was rejected in review"

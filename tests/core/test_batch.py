"""The batch on real scenes: status rows, fronts, a damaged scene, cancel and resume,
filters, and the checks that protect an output (no QGIS: the core and its CLI)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from osgeo import ogr

from calfin_qgis.core.batch.glaciers import read_glaciers
from calfin_qgis.core.batch.runner import Filters, parse_date, run_batch
from calfin_qgis.core.detect.jobs import DetectJob
from calfin_qgis.core.detect.segmentation import DetectOptions
from calfin_qgis.core.errors import InputError
from calfin_qgis.core.geo import reproject
from tests.batch_scenes import PLACED, TRUNCATED, fronts, glacier_polygons, scene_folder

NO_FLIP = DetectJob("", DetectOptions(views=1))  # the settings of batch_reference


def status_rows(path: Path) -> dict[tuple[str, str], dict]:
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    keyed = {(row["image_id"], row["glacier_id"]): row for row in rows}
    assert len(keyed) == len(rows)  # one row per scene × glacier
    return keyed


def test_batch_writes_a_row_per_scene_and_glacier_and_the_fronts(batch_reference) -> None:
    rows = status_rows(batch_reference["status"])
    assert len(rows) == 4 * 2
    assert {rows[key]["status"] for key in rows if key[1] == "far"} == {"skipped: no overlap"}
    failed = rows[(Path(TRUNCATED).stem, "jakobshavn")]
    assert failed["status"].startswith("failed: Cannot read the pixels")
    assert "damaged or incomplete" in failed["status"]
    ok = [key for key, row in rows.items() if row["status"] == "ok"]
    assert sorted(image for image, _ in ok) == sorted(
        ["LE07_L1TP_009011_20010707_20170204_01_T1_B2"]
        + [Path(name).stem.removesuffix("_Subset") for name in PLACED]
    )
    assert all(rows[key]["fronts"] == "1" and float(rows[key]["seconds"]) > 0 for key in ok)

    ds = ogr.Open(str(batch_reference["output"]))
    layer = ds.GetLayerByName("fronts")
    assert layer.GetSpatialRef().GetAuthorityCode(None) == "3413"  # the polygons' CRS
    assert layer.GetFeatureCount() == 3
    dates = {f["image_id"]: f["date"] for f in layer}
    assert dates["LT05_L1TP_008011_19971001_20161229_01_T1_B2"] == "1997/10/01"
    assert {row[1] for row in fronts(batch_reference["output"])} == {"jakobshavn"}


def test_the_batch_screens_its_output_at_the_end(batch_reference, tmp_path) -> None:
    """Every front gets a screen value; --no-screen leaves a copy's values as they are."""
    ds = ogr.Open(str(batch_reference["output"]))
    values = [f["screen"] for f in ds.GetLayerByName("fronts")]
    assert len(values) == 3 and all(values)
    copy = tmp_path / "fronts.gpkg"
    shutil.copy(batch_reference["output"], copy)
    ds = ogr.Open(str(copy), 1)
    ds.ExecuteSQL("UPDATE fronts SET screen = 'mine'")
    ds = None
    argv = ["batch", str(batch_reference["folder"]), "--clip", str(batch_reference["clip"])]
    from calfin_qgis.core.cli import commands

    assert commands.main([*argv, "--no-flip", "--output", str(copy), "--no-screen"]) == 0
    ds = ogr.Open(str(copy))
    assert {f["screen"] for f in ds.GetLayerByName("fronts")} == {"mine"}
    ds = None
    assert commands.main([*argv, "--no-flip", "--output", str(copy), "--workers", "1"]) == 0
    ds = ogr.Open(str(copy))
    assert [f["screen"] for f in ds.GetLayerByName("fronts")] == values


def test_cancel_then_resume_ends_with_the_uninterrupted_layer(batch_reference, tmp_path) -> None:
    output, seen = tmp_path / "fronts.gpkg", []

    def log(kind: str, text: str) -> None:
        seen.append(text)

    glaciers = read_glaciers(str(batch_reference["clip"]))
    folder = [str(batch_reference["folder"])]
    first = run_batch(
        folder, *glaciers, str(output), NO_FLIP, log=log, cancelled=lambda: len(seen) > 1
    )
    assert first.cancelled and first.statuses["ok"] + first.statuses["failed"] == 1
    assert len(fronts(output)) <= 1  # what finished is kept

    second = run_batch(folder, *glaciers, str(output), NO_FLIP, status_csv=str(tmp_path / "s.csv"))
    assert not second.cancelled and second.jobs == 3  # the finished job is not redone
    assert fronts(output) == fronts(batch_reference["output"])
    assert status_rows(tmp_path / "s.csv").keys() == status_rows(batch_reference["status"]).keys()


def test_filters_skip_by_metadata_and_a_rerun_with_other_filters_redoes_them(
    model_path, tmp_path
) -> None:
    folder = [str(scene_folder(tmp_path / "scenes", truncated=False))]
    glaciers = read_glaciers(str(glacier_polygons(tmp_path / "glaciers.gpkg")))
    output, status = str(tmp_path / "fronts.gpkg"), str(tmp_path / "status.csv")
    only_1997 = Filters(end=parse_date("1999-12-31", "END_DATE"))
    run_batch(folder, *glaciers, output, NO_FLIP, status_csv=status, filters=only_1997)
    rows = status_rows(Path(status))
    assert len(rows) == 6
    assert [key for key, row in rows.items() if row["status"] == "ok"] == [
        ("LT05_L1TP_008011_19971001_20161229_01_T1_B2", "jakobshavn")
    ]
    assert sum(row["status"] == "skipped: outside dates" for row in rows.values()) == 4

    summary = run_batch(
        folder, *glaciers, output, NO_FLIP, status_csv=status, filters=Filters(sensors={"LE07"})
    )
    assert summary.jobs == 2
    rows = status_rows(Path(status))  # rows redone are replaced, not repeated
    assert len(rows) == 6 and sum(row["status"] == "ok" for row in rows.values()) == 3
    assert sum(row["status"] == "skipped: no overlap" for row in rows.values()) == 3
    assert len(fronts(Path(output))) == 3


def test_an_output_is_only_resumed_when_it_is_a_batch_output_in_the_same_crs(
    batch_reference, tmp_path
) -> None:
    glaciers = read_glaciers(str(batch_reference["clip"]))
    folder = [str(batch_reference["folder"])]
    copy = Path(shutil.copy(batch_reference["output"], tmp_path / "fronts.gpkg"))
    before = copy.read_bytes()
    utm = DetectJob("", DetectOptions(views=1), out_crs_wkt=reproject_wkt(32622))
    with pytest.raises(InputError, match="Resume with the same output CRS"):
        run_batch(folder, *glaciers, str(copy), utm)
    assert copy.read_bytes() == before

    foreign = tmp_path / "mine.gpkg"
    shutil.copy(batch_reference["clip"], foreign)
    with pytest.raises(InputError, match="is not a calfin batch output"):
        run_batch(folder, *glaciers, str(foreign), NO_FLIP)
    table = tmp_path / "table.csv"
    table.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="is not a calfin status table"):
        run_batch(folder, *glaciers, str(tmp_path / "new.gpkg"), NO_FLIP, status_csv=str(table))
    assert not (tmp_path / "new.gpkg").exists()
    with pytest.raises(InputError, match="no field 'name'.*glacier_id"):
        read_glaciers(str(batch_reference["clip"]), "name")


def reproject_wkt(epsg: int) -> str:
    from osgeo import osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    return reproject.spatial_reference(srs.ExportToWkt()).ExportToWkt()


def test_products_in_a_folder_by_their_metadata(model_path, tmp_path) -> None:
    """Landsat products as downloaded (tests/products.py: real layouts around the sample's
    pixels): a good tar is detected with its metadata, a tar whose band was cut short is a
    failed row, a cloudy extracted product is skipped by MAX_CLOUD."""
    from tests import products as made

    folder = tmp_path / "downloads"
    made.landsat_tar(folder, made.landsat_folder(tmp_path / "a"))
    damaged = made.landsat_folder(tmp_path / "b", made.C1_ETM, {2: 30.0}, collection=1)
    made.landsat_tar(folder, damaged, truncate="_B2.TIF")
    cloudy = "LC08_L1TP_008011_20190702_20190718_02_T1"
    made.landsat_folder(folder, cloudy, cloud=80.0)
    glaciers = read_glaciers(str(glacier_polygons(tmp_path / "glaciers.gpkg")))
    output, status = tmp_path / "fronts.gpkg", tmp_path / "status.csv"
    run_batch(
        [str(folder)],
        *glaciers,
        str(output),
        NO_FLIP,
        status_csv=str(status),
        filters=Filters(max_cloud=40.0),
    )
    rows = status_rows(status)
    assert len(rows) == 3 * 2
    assert rows[(made.C2_OLI, "jakobshavn")]["status"] == "ok"
    assert rows[(made.C1_ETM, "jakobshavn")]["status"].startswith("failed: Cannot read")
    assert "damaged or incomplete" in rows[(made.C1_ETM, "jakobshavn")]["status"]
    assert rows[(cloudy, "far")]["status"] == "skipped: too cloudy"
    ds = ogr.Open(str(output))
    (front,) = list(ds.GetLayerByName("fronts"))
    assert (front["image_id"], front["sensor"], front["path_row"]) == (
        made.C2_OLI,
        "LC08",
        "008011",
    )
    assert front["cloud_cover"] == pytest.approx(12.34)
    assert front["date"] == "2020/08/15"


def test_an_output_of_an_older_version_gets_the_new_front_fields(tmp_path) -> None:
    """A batch output written before uncertainty_m existed is resumed: the field is added,
    the fronts already there keep theirs (null)."""
    from calfin_qgis.core import schema
    from calfin_qgis.core.batch.output import BatchOutput
    from calfin_qgis.core.geo import vectors

    path = tmp_path / "old.gpkg"
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    srs = reproject.spatial_reference(reproject_wkt(3413))
    old_fields = [f for f in schema.FRONT_FIELDS if f[0] != "uncertainty_m"]
    fronts_layer = vectors.create_layer(ds, "fronts", old_fields, srs, ogr.wkbLineString)
    vectors.add_feature(fronts_layer, old_fields, {"image_id": "old", "glacier_id": "g"})
    vectors.create_layer(ds, "status", schema.STATUS_FIELDS, None, ogr.wkbNone)
    fronts_layer = ds = None  # closed: the layer first
    output = BatchOutput(path, reproject_wkt(3413))
    output.add([], [{"image_id": "new", "glacier_id": "g", "uncertainty_m": 80.0}])
    output.close()
    ds = ogr.Open(str(path))
    found = {f["image_id"]: f["uncertainty_m"] for f in ds.GetLayerByName("fronts")}
    assert found == {"old": None, "new": 80.0}

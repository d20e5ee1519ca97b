"""Bad input to the batch, detect and terminus (issue 24), each on real files: one clear
line, a warning or a ``failed:`` row, never a traceback, nothing doubled."""

from __future__ import annotations

from pathlib import Path

import pytest
from osgeo import ogr, osr
from shapely.geometry import LineString

from calfin_qgis.core.batch.glaciers import read_glaciers
from calfin_qgis.core.batch.output import BatchOutput
from calfin_qgis.core.batch.runner import run_batch
from calfin_qgis.core.cli import commands
from calfin_qgis.core.errors import InputError
from calfin_qgis.core.products import sources
from tests import products as made
from tests.batch_scenes import glacier_polygons
from tests.conftest import SAMPLE_CLIP, SAMPLE_SCENE
from tests.core.test_batch import NO_FLIP, reproject_wkt, status_rows

ogr.UseExceptions()


def _clip_wkt() -> str:
    ds = ogr.Open(str(SAMPLE_CLIP))
    feature = ds.GetLayer(0).GetNextFeature()
    return feature.GetGeometryRef().ExportToWkt()


JAKOBSHAVN = _clip_wkt()
BOW_TIE = "POLYGON ((-190000 -2280000, -170000 -2260000, -170000 -2280000, -190000 -2260000, -190000 -2280000))"  # noqa: E501


def vector_file(path: Path, features: list[tuple], epsg: int | None = 3413, geometry=None) -> Path:
    """A GeoPackage layer of (glacier_id or None, WKT or None) features (+ extra fields)."""
    srs = None
    if epsg:
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(epsg)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    layer = ds.CreateLayer("layer", srs, geometry or ogr.wkbUnknown)
    names = ["glacier_id", *(features[0][2] if len(features[0]) > 2 else {})]
    for name in names:
        layer.CreateField(ogr.FieldDefn(name, ogr.OFTString))
    for glacier_id, wkt, *extra in features:
        feature = ogr.Feature(layer.GetLayerDefn())
        if glacier_id is not None:
            feature["glacier_id"] = glacier_id
        for name, value in (extra[0] if extra else {}).items():
            feature[name] = value
        if wkt:
            feature.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
        layer.CreateFeature(feature)
    ds = None
    return path


def run(folder: Path, glaciers: Path, output: Path, status: Path | None = None):
    seen: list[tuple[str, str]] = []
    summary = run_batch(
        [str(folder)],
        *read_glaciers(str(glaciers)),
        str(output),
        NO_FLIP,
        status_csv=str(status) if status else None,
        log=lambda kind, text: seen.append((kind, text)),
    )
    return summary, seen


def front_keys(output: Path) -> list[tuple[str, str]]:
    ds = ogr.Open(str(output))
    return sorted((f["image_id"], f["glacier_id"]) for f in ds.GetLayerByName("fronts"))


def test_a_product_found_twice_is_detected_once_and_the_copy_left_out_is_named(
    model_path, tmp_path
) -> None:
    """A Landsat .tar beside its extracted folder, a Sentinel-2 .SAFE beside its zip."""
    folder = tmp_path / "downloads"
    made.landsat_tar(folder, made.landsat_folder(folder, made.C2_OLI))
    made.zipped(made.sentinel2_safe(folder))
    glaciers = glacier_polygons(tmp_path / "glaciers.gpkg")
    output, status = tmp_path / "fronts.gpkg", tmp_path / "status.csv"
    summary, seen = run(folder, glaciers, output, status)

    keys = front_keys(output)
    assert len(keys) == len(set(keys)) == 2  # one front per image_id × glacier
    assert {image for image, _ in keys} == {made.C2_OLI, made.S2_L1C}
    assert len(status_rows(status)) == 2 * 2 and summary.statuses["ok"] == 2
    copies = [text for kind, text in seen if "another copy of" in text]
    assert len(copies) == 2 and all(kind == "warning" for kind, _ in seen if "copy" in _)
    landsat = f"{folder}/{made.C2_OLI}/{made.C2_OLI}_MTL.txt is another copy of {made.C2_OLI}"
    assert any(f"{landsat}, already planned from {folder}/{made.C2_OLI}.tar" in t for t in copies)
    sentinel = f"{folder}/{made.S2_L1C}.zip is another copy of {made.S2_L1C}"
    assert any(f"{sentinel}, already planned from {folder}/{made.S2_L1C}.SAFE" in t for t in copies)


def test_one_front_per_image_and_glacier_even_when_a_job_is_written_twice(tmp_path) -> None:
    output = BatchOutput(tmp_path / "fronts.gpkg", reproject_wkt(3413))
    row = {"image_id": "A", "glacier_id": "g", "source": "a.tif", "status": "ok"}
    record = {"image_id": "A", "glacier_id": "g", "geometry": LineString([(0, 0), (1, 1)])}
    output.add([row], [record])
    output.add([row], [record])
    output.close()
    assert front_keys(tmp_path / "fronts.gpkg") == [("A", "g")]


def test_zero_byte_metadata_files_are_one_failed_row_each_and_the_batch_goes_on(
    model_path, tmp_path
) -> None:
    folder = tmp_path / "downloads"
    made.landsat_folder(folder, made.C2_OLI)
    broken = made.landsat_folder(folder, made.C1_ETM, {2: 40.0}, collection=1)
    (broken / f"{made.C1_ETM}_MTL.txt").write_bytes(b"")
    safe = made.sentinel2_safe(folder)
    (safe / "MTD_MSIL1C.xml").write_bytes(b"")
    glaciers = glacier_polygons(tmp_path / "glaciers.gpkg")
    output, status = tmp_path / "fronts.gpkg", tmp_path / "status.csv"
    summary, seen = run(folder, glaciers, output, status)

    rows = status_rows(status)
    failed = {key: row["status"] for key, row in rows.items() if row["status"].startswith("fail")}
    assert len(failed) == 2 * 2  # both glaciers of each broken product
    assert all(
        "is empty (0 bytes)" in text and "Download it again" in text for text in failed.values()
    )
    assert rows[(made.C2_OLI, "jakobshavn")]["status"] == "ok"
    # the reasons are in the log too, not only in the status table
    logged = [text for kind, text in seen if kind == "warning" and "0 bytes" in text]
    assert any("MTD_MSIL1C.xml is empty" in text for text in logged)
    assert any(f"{made.C1_ETM}_MTL.txt is empty" in text for text in logged)


def test_scenes_in_a_linked_subfolder_are_found_once_even_in_a_link_loop(tmp_path) -> None:
    real = tmp_path / "elsewhere"
    real.mkdir()
    (real / SAMPLE_SCENE.name).symlink_to(SAMPLE_SCENE)
    folder = tmp_path / "scenes"
    folder.mkdir()
    (folder / "linked").symlink_to(real, target_is_directory=True)
    (real / "loop").symlink_to(folder, target_is_directory=True)
    found = list(sources.find_sources(str(folder)))
    assert [Path(path).name for path in found] == [SAMPLE_SCENE.name]


def test_glacier_polygons_null_id_refused_empty_geometry_warned_invalid_repaired(
    tmp_path,
) -> None:
    half = "POLYGON ((-180000 -2280000, -175000 -2280000, -175000 -2270000, -180000 -2270000, -180000 -2280000))"  # noqa: E501
    path = vector_file(
        tmp_path / "glaciers.gpkg",
        [
            ("jakobshavn", JAKOBSHAVN),
            ("bowtie", BOW_TIE),
            ("two", BOW_TIE),  # two invalid parts with one id
            ("two", BOW_TIE.replace("-190000", "-195000")),
            ("two", half),
            ("nothing", None),
            ("empty", "POLYGON EMPTY"),
        ],
    )
    warnings: list[str] = []
    glaciers, _ = read_glaciers(str(path), warn=warnings.append)
    assert [g.glacier_id for g in glaciers] == ["jakobshavn", "bowtie", "two"]
    from shapely import wkb

    assert all(wkb.loads(g.wkb).is_valid and wkb.loads(g.wkb).area > 0 for g in glaciers)
    repaired = [w for w in warnings if "repaired with make_valid" in w]
    assert len(repaired) == 3 and "Self-intersection" in repaired[0]
    assert "Feature 2 of glaciers.gpkg (glacier bowtie) is not a valid polygon" in repaired[0]
    assert any("(glacier nothing) has no geometry: left out" in w for w in warnings)
    assert any("(glacier empty) has no geometry: left out" in w for w in warnings)

    nulls = vector_file(tmp_path / "nulls.gpkg", [("a", JAKOBSHAVN), (None, JAKOBSHAVN)])
    with pytest.raises(InputError, match="Feature 2 of nulls.gpkg has no glacier id"):
        read_glaciers(str(nulls))


def test_detect_with_an_invalid_clip_part_repairs_it_with_a_warning(
    model_path, tmp_path, capsys
) -> None:
    clip = vector_file(tmp_path / "clip.gpkg", [("a", JAKOBSHAVN), ("b", BOW_TIE)])
    output = tmp_path / "fronts.gpkg"
    argv = ["detect", str(SAMPLE_SCENE), str(output), "--clip", str(clip), "--no-flip"]
    assert commands.main(argv) == 0
    err = capsys.readouterr().err
    assert "Feature 2 of clip.gpkg is not a valid polygon (Self-intersection" in err
    assert "Traceback" not in err and output.exists()


def test_terminus_refuses_report_on_the_table_and_pixel_fronts_against_a_map_box(
    tmp_path, capsys
) -> None:
    fields = {"date": "2001/07/07"}
    pixel_fronts = vector_file(
        tmp_path / "fronts.gpkg",
        [("g", "LINESTRING (10 20, 100 200)", fields)],
        epsg=None,
        geometry=ogr.wkbLineString,
    )
    box = vector_file(tmp_path / "box.gpkg", [("g", JAKOBSHAVN)])
    table = tmp_path / "p.csv"
    table.write_text("glacier_id\nkept\n")
    argv = ["terminus", str(pixel_fronts), "--box", str(box), "--output", str(table)]
    assert commands.main([*argv, "--report", str(table), "--overwrite"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"Two outputs are the same file ({table})" in err
    assert table.read_text() == "glacier_id\nkept\n"

    assert commands.main([*argv, "--overwrite"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "fronts.gpkg has no CRS (pixel coordinates" in err
    assert table.read_text() == "glacier_id\nkept\n"

"""Landsat and Sentinel-2 products as users download them: band choice, metadata, discovery,
damaged downloads, and a detection run on a product, all on products built in their real
layouts around real pixels (tests/sources.py)."""

from __future__ import annotations

import datetime
import gzip
import shutil
from pathlib import Path

import pytest
from osgeo import gdal, ogr

from calfin_qgis.core.cli import commands
from calfin_qgis.core.detect.grid import model_grid
from calfin_qgis.core.errors import InputError
from calfin_qgis.core.geo import rasters
from calfin_qgis.core.products import bands, sources
from calfin_qgis.core.products.scene_identity import scene_metadata
from tests import products as made
from tests.conftest import SAMPLE_SCENE

C2_OLI = sources.SceneMetadata(made.C2_OLI, datetime.date(2020, 8, 15), "LC08", "008011", 12.34)
S2_L1C = sources.SceneMetadata(made.S2_L1C, datetime.date(2020, 8, 15), "S2A", "T22WEV", 3.5)


@pytest.fixture()
def oli(tmp_path: Path) -> Path:
    """An extracted Landsat 8 Collection 2 product: B2 at 40 m, B8 at 15 m."""
    return made.landsat_folder(tmp_path / "extracted")


@pytest.fixture()
def oli_tar(tmp_path: Path, oli: Path) -> Path:
    return made.landsat_tar(tmp_path, oli)


@pytest.mark.parametrize(
    ("product_id", "collection", "band"),
    [
        (made.C2_OLI, 2, 8),
        ("LC09_L1TP_008011_20220615_20230401_02_T1", 2, 8),
        (made.C1_ETM, 1, 2),
        ("LT05_L1TP_009011_19900701_20200915_02_T1", 2, 2),
        ("LM05_L1GS_009011_19900701_20200915_02_T2", 2, 1),
        ("LM03_L1GS_009011_19800701_20200915_02_T2", 2, 4),
    ],
)
def test_landsat_band_follows_the_sensor_table(tmp_path, product_id, collection, band) -> None:
    folder = made.landsat_folder(
        tmp_path, product_id, {n: 40.0 for n in (1, 2, 3, 4, 8)}, collection=collection
    )
    source = sources.open_source(str(folder))
    assert source.path == str(folder / f"{product_id}_B{band}.TIF")
    assert source.band == 1
    assert source.metadata.sensor == product_id[:4]
    assert bands.band_choice(product_id[:4]).band == band
    assert f"band {band}" in source.note  # the log says which band and why


@pytest.mark.parametrize("product", [made.S2_L1C, made.S2_L2A])
def test_sentinel2_uses_green_b03_at_10_m(tmp_path, product) -> None:
    safe = made.sentinel2_safe(tmp_path, product)
    source = sources.open_source(str(safe))
    assert Path(source.path).name.split("_")[2].startswith("B03")
    assert "/R20m/" not in source.path  # L2A: the finest copy of the band
    assert gdal.Open(source.path).GetGeoTransform()[1] == 10.0


def test_a_given_band_overrides_the_table(oli_tar, tmp_path) -> None:
    assert sources.open_source(str(oli_tar), 2).path.endswith("_B2.TIF")
    safe = made.sentinel2_safe(tmp_path)
    assert sources.open_source(str(safe), 8).path.endswith("_B08.jp2")
    with pytest.raises(InputError, match=r"has no band 5 \(it has \[2, 8\]\)"):
        sources.open_source(str(oli_tar), 5)


def test_sensor_without_a_band_in_the_table_asks_for_one(tmp_path) -> None:
    tirs = "LT08_L1GT_008011_20200815_20200919_02_T2"  # thermal only
    folder = made.landsat_folder(tmp_path, tirs, {10: 40.0})
    with pytest.raises(InputError, match="Give the band number"):
        sources.open_source(str(folder))
    assert sources.open_source(str(folder), 10).path.endswith("_B10.TIF")


def test_every_form_of_a_landsat_product_gives_its_metadata(oli, oli_tar) -> None:
    mtl = oli / f"{made.C2_OLI}_MTL.txt"
    forms = [oli, oli_tar, mtl, f"/vsitar/{oli_tar}/{mtl.name}", oli / f"{made.C2_OLI}_B8.TIF"]
    for form in forms:
        assert sources.scene_metadata(str(form)) == C2_OLI, form
    assert sources.open_source(str(oli_tar)).path == f"/vsitar/{oli_tar}/{made.C2_OLI}_B8.TIF"


def test_collection_2_xml_and_collection_1_text_layouts(tmp_path) -> None:
    oli = made.landsat_folder(tmp_path / "xml")
    (oli / f"{made.C2_OLI}_MTL.txt").unlink()
    xml = made.landsat_mtl(made.C2_OLI, [2, 8], cloud=0.07, xml=True)
    (oli / f"{made.C2_OLI}_MTL.xml").write_text(xml)
    assert sources.scene_metadata(str(oli)).cloud_cover == 0.07
    assert sources.open_source(str(oli)).path.endswith("_B8.TIF")

    etm = made.landsat_folder(tmp_path / "c1", made.C1_ETM, {2: 40.0, 8: 15.0}, 61.0, collection=1)
    expected = sources.SceneMetadata(made.C1_ETM, datetime.date(2001, 7, 7), "LE07", "009011", 61)
    assert sources.scene_metadata(str(etm)) == expected
    gz = tmp_path / f"{made.C1_ETM}.tar.gz"  # Collection 1 was shipped gzipped
    gz.write_bytes(gzip.compress(made.landsat_tar(tmp_path, etm).read_bytes()))
    assert sources.open_source(str(gz)).path == f"/vsitar/{gz}/{made.C1_ETM}_B2.TIF"


def test_sentinel2_metadata_from_safe_zip_and_band_file(tmp_path) -> None:
    safe = made.sentinel2_safe(tmp_path)
    zipped = made.zipped(safe)
    assert sources.scene_metadata(str(safe)) == S2_L1C
    assert sources.scene_metadata(str(zipped)) == S2_L1C
    source = sources.open_source(str(zipped))
    assert source.path.startswith(f"/vsizip/{zipped}/{made.S2_L1C}.SAFE/GRANULE/")
    assert sources.scene_metadata(source.path) == S2_L1C  # the band file inside the zip
    l2a = sources.scene_metadata(str(made.sentinel2_safe(tmp_path, made.S2_L2A)))
    assert (l2a.sensor, l2a.date, l2a.path_row) == ("S2B", datetime.date(2021, 7, 4), "T22WEV")


def test_plain_raster_band_1_and_metadata_from_its_name(sample_scene) -> None:
    source = sources.open_source(str(sample_scene))
    assert (source.path, source.band, source.given) == (str(sample_scene), 1, str(sample_scene))
    assert source.metadata == sources.SceneMetadata(
        "LE07_L1TP_009011_20010707_20170204_01_T1_B2",
        datetime.date(2001, 7, 7),
        "LE07",
        "009011",
        None,
    )
    with pytest.raises(InputError, match="Band 2 does not exist"):
        sources.open_source(str(sample_scene), 2)


def test_find_sources_lists_each_product_once(tmp_path, oli) -> None:
    folder = tmp_path / "downloads"
    oli_tar = made.landsat_tar(folder, oli)
    extracted = shutil.copytree(oli, folder / "2020" / oli.name)
    xml = made.landsat_mtl(made.C2_OLI, [2, 8], xml=True)  # C2 ships both MTL forms
    (extracted / f"{made.C2_OLI}_MTL.xml").write_text(xml)
    safe = made.sentinel2_safe(folder / "s2")
    s2_zip = made.zipped(made.sentinel2_safe(folder / "zips", made.S2_L2A))
    shutil.rmtree(folder / "zips" / f"{made.S2_L2A}.SAFE")
    (folder / "zips" / "glacier_outlines.zip").write_bytes(b"PK")  # not a scene
    plain = Path(shutil.copy(SAMPLE_SCENE, folder / SAMPLE_SCENE.name))
    vrt = folder / "mosaic.vrt"  # the suffixes the review dock shows: the batch runs them too
    gdal.BuildVRT(str(vrt), [str(plain)]).FlushCache()
    (folder / "notes.txt").write_text("field notes")
    (folder / f".{plain.stem}.1234abcd.part.tif").write_bytes(b"")  # a write in progress
    expected = [
        str(s) for s in (extracted / f"{made.C2_OLI}_MTL.txt", plain, vrt, oli_tar, safe, s2_zip)
    ]
    assert list(sources.find_sources(str(folder))) == sorted(expected)
    with pytest.raises(InputError, match="not a folder"):
        list(sources.find_sources(str(plain)))


def test_truncated_band_inside_a_tar_is_a_clear_error(tmp_path, oli) -> None:
    damaged = made.landsat_tar(tmp_path, oli, truncate="_B8.TIF")
    with pytest.raises(InputError, match="damaged or incomplete. Download it again"):
        sources.open_source(str(damaged))
    assert sources.open_source(str(damaged), 2).path.endswith("_B2.TIF")  # the rest reads


def test_download_cut_short_is_a_clear_error(tmp_path, oli_tar) -> None:
    data = oli_tar.read_bytes()
    cut = tmp_path / "cut" / oli_tar.name
    cut.parent.mkdir()
    cut.write_bytes(data[: int(len(data) * 0.9)])  # the last band file ends early
    with pytest.raises(InputError, match="download is incomplete"):
        sources.open_source(str(cut))


def test_not_a_product_says_what_to_give(tmp_path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="holds no Landsat"):
        sources.open_source(str(tmp_path / "empty"))
    with pytest.raises(InputError, match="not found"):
        sources.open_source(str(tmp_path / "missing.tar"))
    (tmp_path / "x_MTL.txt").write_text("GROUP = SOMETHING_ELSE\nEND_GROUP = SOMETHING_ELSE\n")
    with pytest.raises(InputError, match="not a Landsat Collection 1 or 2 MTL"):
        sources.open_source(str(tmp_path / "x_MTL.txt"))


def test_fine_band_inside_a_tar_is_averaged_to_the_model_grid(oli_tar) -> None:
    source = sources.open_source(str(oli_tar))  # B8 at 15 m
    scene = rasters.open_scene(source.path, source.band)
    averaged = model_grid(scene, 40.0)
    assert averaged.pixel_edges == (40.0, 40.0)
    values, valid = averaged.read()
    assert valid.all() and values.std() > 0
    assert scene_metadata(averaged) == C2_OLI  # the averaged grid remembers its product


def test_readme_shows_the_band_table() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert bands.band_table_markdown() in readme  # one source: regenerate it from bands.py


def test_metadata_round_trips_through_json() -> None:
    assert sources.SceneMetadata.from_json(C2_OLI.to_json()) == C2_OLI
    undated = sources.SceneMetadata("x", None, "", "", None)
    assert sources.SceneMetadata.from_json(undated.to_json()) == undated


def test_detect_cli_on_a_tar_writes_the_product_metadata(tmp_path, model_path, capsys) -> None:
    """The sample scene (real Landsat 7 B2 pixels) as the B2 of an ETM+ product's tar."""
    folder = made.landsat_folder(tmp_path, made.C1_ETM, {2: 40.0, 8: 20.0}, cloud=8.5, collection=1)
    tar = made.landsat_tar(tmp_path, folder)
    out = tmp_path / "fronts.gpkg"
    assert (
        commands.main(["detect", str(tar), str(out), "--flow", "up", "--model", str(model_path)])
        == 0
    )
    log = capsys.readouterr().err
    assert "LE07 band 2 (B2 green, 30 m)" in log
    ds = ogr.Open(str(out))  # kept: a layer outliving its dataset crashes GDAL
    layer = ds.GetLayer(0)
    assert layer.GetFeatureCount() >= 1
    front = layer.GetNextFeature()
    assert front["image_id"] == made.C1_ETM
    assert front["date"] == "2001/07/07"
    assert (front["sensor"], front["path_row"], front["cloud_cover"]) == ("LE07", "009011", 8.5)

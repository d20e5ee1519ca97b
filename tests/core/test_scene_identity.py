"""A scene's identity (band, product id, date, sensor, path/row) is resolved once per batch
job and travels with it: nothing downstream reads the metadata file, the tags or the band's
header again. Counted on real product layouts (tests/products.py) through the batch."""

from __future__ import annotations

import datetime
from collections import Counter
from pathlib import Path

import pytest
from osgeo import ogr

from calfin_qgis.core.batch.glaciers import read_glaciers
from calfin_qgis.core.batch.runner import run_batch
from calfin_qgis.core.detect import jobs
from calfin_qgis.core.detect.jobs import DetectJob
from calfin_qgis.core.detect.segmentation import DetectOptions
from calfin_qgis.core.geo import rasters
from calfin_qgis.core.products import metadata_files, sources
from calfin_qgis.core.products.scene_identity import identity_from_tags, identity_tags
from tests import products as made
from tests.batch_scenes import glacier_polygons

from .fakes import dark_is_edge, fake_model


@pytest.fixture()
def counted(monkeypatch) -> Counter:
    """Calls of everything that reads a scene's metadata or opens a band, by name; the
    model is a fake one (the count is the point, not the fronts)."""
    calls: Counter = Counter()

    def counting(module, name: str, key=None):
        real = getattr(module, name)

        def wrapper(*args, **kwargs):
            if key is None or key(*args):
                calls[name] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    counting(sources, "identify")
    counting(sources, "read_landsat")
    counting(sources, "read_sentinel2")
    counting(metadata_files, "_read_text")
    counting(rasters, "read_metadata")
    # the band as given; the model grid's averaged VRT is opened once more, by design
    counting(rasters, "open_scene", key=lambda path, *_: "calfin_resampled" not in str(path))
    model = fake_model(dark_is_edge)
    monkeypatch.setattr(jobs, "cached_model", lambda *args: (model, ()))
    return calls


def one_job(tmp_path: Path, scene: Path) -> dict[str, tuple[str, str]]:
    """Batch ``scene`` against Jakobshavn and a far glacier: one job; glacier id →
    (image_id, status) of its status row."""
    glaciers = read_glaciers(str(glacier_polygons(tmp_path / "glaciers.gpkg")))
    output = tmp_path / "fronts.gpkg"
    template = DetectJob("", DetectOptions(flip=False))
    summary = run_batch([str(scene)], *glaciers, str(output), template)
    assert summary.jobs == 1  # jakobshavn; the far glacier is skipped by the footprint
    ds = ogr.Open(str(output))
    return {f["glacier_id"]: (f["image_id"], f["status"]) for f in ds.GetLayerByName("status")}


def test_a_product_job_reads_its_metadata_and_opens_its_band_once(tmp_path, counted) -> None:
    tar = made.landsat_tar(tmp_path / "in", made.landsat_folder(tmp_path / "a"))
    rows = one_job(tmp_path, tar)
    assert rows["jakobshavn"][0] == made.C2_OLI and rows["jakobshavn"][1] != "failed"
    assert counted == Counter(identify=1, read_landsat=1, _read_text=1, open_scene=1)


def test_a_plain_raster_job_reads_its_tags_and_opens_its_band_once(tmp_path, counted) -> None:
    band = made.write_band(tmp_path / "in" / f"{made.C1_ETM}_B2.TIF", 30.0)
    rows = one_job(tmp_path, band)
    assert rows["jakobshavn"][0] == f"{made.C1_ETM}_B2" and rows["jakobshavn"][1] != "failed"
    assert counted == Counter(identify=1, read_metadata=1, open_scene=1)


def test_tags_round_trip_the_identity() -> None:
    metadata = metadata_files.SceneMetadata(
        made.C2_OLI, datetime.date(2020, 8, 15), "LC08", "008011", 12.34
    )
    name = f"{made.C2_OLI}_B8.TIF"
    assert identity_from_tags(identity_tags(name, metadata)) == (name, metadata)
    assert identity_from_tags({"OTHER": "x"}) is None
    older = identity_from_tags({"CALFIN_SCENE": name})  # before the metadata item
    assert older[1].date == metadata.date and older[1].cloud_cover is None  # its name's

"""The one entry point: a DetectJob of plain values, run on the real sample scene and model."""

from __future__ import annotations

import pickle

import pytest
from osgeo import ogr
from shapely import wkb

from calfin_qgis.core.detect.jobs import DetectJob, run
from calfin_qgis.core.detect.segmentation import DetectOptions
from calfin_qgis.core.geo import reproject
from tests.conftest import SAMPLE_CLIP, SAMPLE_SCENE


def crs_wkt(epsg: int) -> str:
    from osgeo import osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    return srs.ExportToWkt()


def clip_wkb(target_wkt: str) -> bytes:
    """The sample clip polygon (EPSG:3413) as WKB in ``target_wkt``."""
    ds = ogr.Open(str(SAMPLE_CLIP))
    layer = ds.GetLayer(0)
    transform = reproject.transformation(layer.GetSpatialRef().ExportToWkt(), target_wkt)
    feature = layer.GetNextFeature()
    return reproject.transformed(feature.GetGeometryRef().ExportToWkb(), transform)


def test_job_with_clip_and_output_in_other_crss_matches_the_scene_crs_run(model_path) -> None:
    """A clip given in WGS 84 finds the same front as in the scene's CRS, and the fronts
    come back in the output CRS (UTM 22N); the job and result travel through pickle."""
    scene_crs, utm = crs_wkt(3413), crs_wkt(32622)
    options = DetectOptions(clip=clip_wkb(scene_crs), flow="up", glacier_id="jakobshavn")
    plain = run(DetectJob(str(SAMPLE_SCENE), options))
    assert plain.status == "ok" and len(plain.records) == 1
    assert reproject.same_crs(plain.crs_wkt, scene_crs)

    job = DetectJob(
        str(SAMPLE_SCENE),
        DetectOptions(
            clip=clip_wkb(crs_wkt(4326)),
            clip_crs_wkt=crs_wkt(4326),
            flow="up",
            glacier_id="jakobshavn",
        ),
        out_crs_wkt=utm,
        threads=1,
    )
    assert pickle.loads(pickle.dumps(job)) == job
    result = pickle.loads(pickle.dumps(run(job)))
    (record,) = result.records
    assert record["glacier_id"] == "jakobshavn"
    assert record["image_id"] == "LE07_L1TP_009011_20010707_20170204_01_T1_B2"
    assert reproject.same_crs(result.crs_wkt, utm)
    back = wkb.loads(
        reproject.transformed(record["geometry"], reproject.transformation(utm, scene_crs))
    )
    expected = wkb.loads(plain.records[0]["geometry"])
    assert back.hausdorff_distance(expected) < 60.0  # within about one model pixel
    assert record["length_m"] == pytest.approx(plain.records[0]["length_m"], rel=0.05)

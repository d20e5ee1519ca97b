"""A small real batch: Jakobshavn scenes and two glacier polygons, one overlapping.

The shipped sample is a georeferenced Landsat 7 subset of Jakobshavn (EPSG:3413, 40 m). The
other two scenes are FrontLearning PNGs of the same fjord (tests/data/frontlearning, no
georeference): they are placed on the sample's grid, a plausible one (same glacier, same
200 × 300 subset size) but not their true georeference. A copy of the sample cut short is
the damaged scene every real archive has.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from osgeo import gdal, ogr, osr

from tests.conftest import DATA, SAMPLE_CLIP, SAMPLE_SCENE

gdal.UseExceptions()
ogr.UseExceptions()

FRONTLEARNING = DATA / "frontlearning" / "images"
PLACED = (
    "LE07_L1TP_010011_20000913_20170210_01_T1_B2_Subset.png",
    "LT05_L1TP_008011_19971001_20161229_01_T1_B2_Subset.png",
)
TRUNCATED = "LE07_L1TP_009011_20010707_20170204_01_T1_B2_Truncated.tif"


def scene_folder(folder: Path, truncated: bool = True) -> Path:
    """The sample, two FrontLearning scenes on its grid (in a subfolder) and, with
    ``truncated``, a damaged copy of the sample."""
    (folder / "more").mkdir(parents=True)
    shutil.copy(SAMPLE_SCENE, folder / SAMPLE_SCENE.name)
    ds = gdal.Open(str(SAMPLE_SCENE))
    gt, width, height = ds.GetGeoTransform(), ds.RasterXSize, ds.RasterYSize
    bounds = [gt[0], gt[3], gt[0] + width * gt[1], gt[3] + height * gt[5]]
    for name in PLACED:
        target = folder / "more" / Path(name).with_suffix(".tif").name
        gdal.Translate(
            str(target),
            str(FRONTLEARNING / name),
            bandList=[1],  # the PNGs are RGBA with three equal grey channels
            outputSRS="EPSG:3413",
            outputBounds=bounds,
        )
    if truncated:
        data = SAMPLE_SCENE.read_bytes()
        (folder / TRUNCATED).write_bytes(data[: len(data) // 2])
    return folder


def glacier_polygons(path: Path) -> Path:
    """Jakobshavn (the shipped clip polygon) and a polygon far from it, EPSG:3413."""
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(3413)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    layer = ds.CreateLayer("glaciers", srs, ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn("glacier_id", ogr.OFTString))
    clip_ds = ogr.Open(str(SAMPLE_CLIP))
    clip = clip_ds.GetLayer(0).GetNextFeature()
    far = ogr.CreateGeometryFromWkt(
        "POLYGON ((300000 -2500000, 310000 -2500000, 310000 -2490000, 300000 -2500000))"
    )
    for glacier_id, geometry in (("jakobshavn", clip.GetGeometryRef()), ("far", far)):
        feature = ogr.Feature(layer.GetLayerDefn())
        feature["glacier_id"] = glacier_id
        feature.SetGeometry(geometry)
        layer.CreateFeature(feature)
    ds = None
    return path


def fronts(path: Path) -> list[tuple]:
    """The fronts of a batch output, order aside: (image_id, glacier_id, date, WKT)."""
    ds = ogr.Open(str(path))
    layer = ds.GetLayerByName("fronts")
    return sorted(
        (f["image_id"], f["glacier_id"], f["date"], f.GetGeometryRef().ExportToWkt()) for f in layer
    )

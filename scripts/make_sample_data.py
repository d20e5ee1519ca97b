"""Build the small files that tests and the demo ship with, from ../shared/data.

The FrontLearning PNGs carry no georeference. The sample scene is wrapped as a GeoTIFF on
a *plausible, not true* grid: EPSG:3413 (NSIDC polar stereographic north), 40 m pixels,
centred on Jakobshavn Isbræ's front (Loebel et al.'s front centre coordinate). The subset
was rotated by its authors so that the ice flows up the image, so map north on this grid
is not real north. The reference front is the manual 1 px label turned into a line on the
same grid. ``glacier_polygons.gpkg`` is all 27 search polygons as one layer with a
``glacier_id``. ``timeseries/`` holds more scenes of the same path/row (WRS 009011, 1994-2002),
put on the *same* plausible grid (the FrontLearning subsets of one path/row cover the same
fjord window), with a terminus box and a centreline drawn on that grid: the demo's time
series. Run once: ``python scripts/make_sample_data.py``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
from osgeo import gdal, osr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from calfin_qgis.core import schema  # noqa: E402
from calfin_qgis.core.detect.extract import extract_fronts  # noqa: E402
from calfin_qgis.core.geo import rasters, vectors  # noqa: E402
from calfin_qgis.core.products import naming  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
TRAIN = SHARED / "frontlearning" / "train"
OUT = ROOT / "tests" / "data"
SCENE = "LE07_L1TP_009011_20010707_20170204_01_T1_B2"
CENTRE = (-185000.0, -2271000.0)  # jakobshavn_isbrae, frontlagen_center_coord.txt
PIXEL = 40.0
EVAL_SCENES = (
    "LE07_L1TP_009011_20010707_20170204_01_T1_B2",
    "LT05_L1TP_008011_19971001_20161229_01_T1_B2",
    "LE07_L1TP_010011_20000913_20170210_01_T1_B2",
)
TIME_SERIES = (
    "LT05_L1TP_009011_19940712_20170113_01_T1_B2",
    "LT05_L1TP_009011_19940914_20170112_01_T1_B2",
    "LT05_L1TP_009011_19980605_20161224_01_T1_B2",
    "LT05_L1TP_009011_19981011_20161221_01_T1_B2",
    "LE07_L1TP_009011_20000922_20170209_01_T1_B2",
    "LE07_L1TP_009011_20020827_20170128_01_T1_B2",
)
"""Jakobshavn scenes of the sample's path/row; the sample scene (2001) joins them in the demo."""
BOX_COLUMNS = (72, 122)
BOX_ROWS = (30, 190)
"""The terminus box in pixels of the subsets (ice flows up: row 190 is its upstream edge)."""


def srs_3413() -> osr.SpatialReference:
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(3413)
    return srs


def wrap(png: Path, target: Path) -> tuple:
    """A FrontLearning PNG as a GeoTIFF on the plausible grid; returns its geotransform."""
    image = rasters.open_scene(png).read()[0]
    height, width = image.shape
    gt = (CENTRE[0] - width / 2 * PIXEL, PIXEL, 0.0, CENTRE[1] + height / 2 * PIXEL, 0.0, -PIXEL)
    ds = gdal.GetDriverByName("GTiff").Create(
        str(target), width, height, 1, gdal.GDT_Byte, ["COMPRESS=DEFLATE"]
    )
    ds.SetGeoTransform(gt)
    ds.SetProjection(srs_3413().ExportToWkt())
    ds.GetRasterBand(1).WriteArray(image)
    ds.GetRasterBand(1).SetDescription("B2 (green), FrontLearning subset, plausible grid")
    ds = None
    return gt


def write_time_series(gt: tuple) -> None:
    """``timeseries/``: the scenes, a terminus box (upstream edge first) and a centreline
    drawn from upstream to the ocean, all on the sample's grid."""
    import shapely

    folder = OUT / "timeseries"
    folder.mkdir(parents=True, exist_ok=True)
    for name in TIME_SERIES:
        wrap(TRAIN / "images" / f"{name}_Subset.png", folder / f"{name}.tif")

    def point(col: float, row: float) -> tuple[float, float]:
        return gdal.ApplyGeoTransform(gt, col, row)

    (c0, c1), (r0, r1) = BOX_COLUMNS, BOX_ROWS
    box = shapely.Polygon([point(c1, r1), point(c0, r1), point(c0, r0), point(c1, r0)])
    centreline = shapely.LineString([point((c0 + c1) / 2, r1), point((c0 + c1) / 2, r0)])
    for name, geometry in (("box", box), ("centreline", centreline)):
        write_glacier_layer(folder / f"{name}.gpkg", name, geometry)


def write_glacier_layer(path: Path, name: str, geometry) -> None:
    """One feature with a glacier_id, in EPSG:3413, as a GeoPackage layer ``name``."""
    import json

    import shapely

    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"glacier_id": "jakobshavn_isbrae"},
                "geometry": json.loads(shapely.to_geojson(geometry)),
            }
        ],
    }
    source = f"/vsimem/{name}.geojson"
    gdal.FileFromMemBuffer(source, json.dumps(collection))
    path.unlink(missing_ok=True)
    gdal.VectorTranslate(
        str(path), source, format="GPKG", dstSRS="EPSG:3413", srcSRS="EPSG:3413", layerName=name
    )
    gdal.Unlink(source)


def write_glacier_polygons(path: Path) -> None:
    """Loebel et al.'s 27 search polygons as one layer with a ``glacier_id`` field (the
    shapefile's name): the batch's CLIP input, one polygon per glacier."""
    path.unlink(missing_ok=True)
    for shapefile in sorted((SHARED / "clip_polygons").glob("*.shp")):
        gdal.VectorTranslate(
            str(path),
            str(shapefile),
            format="GPKG",
            accessMode="append" if path.exists() else None,
            layerName="glaciers",
            SQLStatement=f"SELECT '{shapefile.stem}' AS glacier_id FROM \"{shapefile.stem}\"",
            geometryType="MULTIPOLYGON",
            dstSRS="EPSG:3413",
        )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    scene = OUT / f"{SCENE}_Subset.tif"
    gt = wrap(TRAIN / "images" / f"{SCENE}_Subset.png", scene)
    srs = srs_3413()

    label = rasters.open_scene(TRAIN / "labels_1px" / f"{SCENE}_Front.png").read()[0] < 128
    fronts = extract_fronts(label.astype(np.float32), gt, threshold=0.5, simplify_px=0.0)
    records = [
        {
            "geometry": front.line,
            "glacier_id": "jakobshavn_isbrae",
            "image_id": naming.scene_id(SCENE),
            "date": naming.scene_date(SCENE),
            "qual_flag": schema.QUAL_MANUAL,
            "confidence": 1.0,
            "length_m": front.length_m,
            "source": "Mohajerani et al. 2019 manual label",
        }
        for front in fronts
    ]
    vectors.write_fronts(
        OUT / f"{SCENE}_Front.gpkg", records, schema.FRONT_FIELDS, srs.ExportToWkt(), overwrite=True
    )

    clip = gdal.OpenEx(str(SHARED / "clip_polygons" / "jakobshavn_isbrae.shp"), gdal.OF_VECTOR)
    gdal.VectorTranslate(str(OUT / "jakobshavn_isbrae.gpkg"), clip, format="GPKG")

    for folder in ("images", "labels_1px"):
        (OUT / "frontlearning" / folder).mkdir(parents=True, exist_ok=True)
    for name in EVAL_SCENES:
        shutil.copy(TRAIN / "images" / f"{name}_Subset.png", OUT / "frontlearning" / "images")
        shutil.copy(
            TRAIN / "labels_1px" / f"{name}_Front.png", OUT / "frontlearning" / "labels_1px"
        )
    write_time_series(gt)
    write_glacier_polygons(OUT / "glacier_polygons.gpkg")
    print(
        f"wrote {scene.name}, its reference front, the clip polygon, 3 evaluation scenes and "
        f"{len(TIME_SERIES)} time-series scenes with a terminus box and centreline"
    )


if __name__ == "__main__":
    main()

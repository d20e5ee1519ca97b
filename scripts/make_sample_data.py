"""Build the small files that tests and the demo ship with, from ../shared/data.

The FrontLearning PNGs carry no georeference. The sample scene is wrapped as a GeoTIFF on
a *plausible, not true* grid: EPSG:3413 (NSIDC polar stereographic north), 40 m pixels,
centred on Jakobshavn Isbræ's front (Loebel et al.'s front centre coordinate). The subset
was rotated by its authors so that the ice flows up the image, so map north on this grid
is not real north. The reference front is the manual 1 px label turned into a line on the
same grid. Run once: ``python scripts/make_sample_data.py``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
from osgeo import gdal, osr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from calfin_qgis.core import io, naming, schema  # noqa: E402
from calfin_qgis.core.extract import extract_fronts  # noqa: E402

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


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    image = io.open_scene(TRAIN / "images" / f"{SCENE}_Subset.png").read()[0]
    height, width = image.shape
    gt = (CENTRE[0] - width / 2 * PIXEL, PIXEL, 0.0, CENTRE[1] + height / 2 * PIXEL, 0.0, -PIXEL)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(3413)
    scene = OUT / f"{SCENE}_Subset.tif"
    ds = gdal.GetDriverByName("GTiff").Create(str(scene), width, height, 1, gdal.GDT_Byte)
    ds.SetGeoTransform(gt)
    ds.SetProjection(srs.ExportToWkt())
    ds.GetRasterBand(1).WriteArray(image)
    ds.GetRasterBand(1).SetDescription("B2 (green), FrontLearning subset, plausible grid")
    ds = None

    label = io.open_scene(TRAIN / "labels_1px" / f"{SCENE}_Front.png").read()[0] < 128
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
    io.write_fronts(
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
    print(f"wrote {scene.name}, its reference front, the clip polygon and 3 evaluation scenes")


if __name__ == "__main__":
    main()

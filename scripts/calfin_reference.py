"""`make calfin_reference`: the demo's detected front scored against a CALFIN-schema reference
built from the demo's manual front, as CALFIN publishes fronts (lines, and `_closed_`
polygons closed by the fjord's walls), paired by glacier and date: the four figures (mean
and median distance, line IoU, mask IoU) and the bias, in headless QGIS.

The reference carries no image id (pairing by glacier and date) and CALFIN's glacier numbers
and names only (GlacierID 3, RefName Jakobshavn: matched to our polygon id by name). The
lines are closed by the shared Loebel search polygon with FLOW up; the `_closed_` polygon by
the demo's box (tests/data/timeseries/box.gpkg), whose walls the front crosses."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from headless_qgis import calfin_processing
from shapely.geometry import Point

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
OUT = ROOT / "demo_output" / "calfin_reference"
SCENE = DATA / "LE07_L1TP_009011_20010707_20170204_01_T1_B2_Subset.tif"
MANUAL = DATA / "LE07_L1TP_009011_20010707_20170204_01_T1_B2_Front.gpkg"
LOEBEL = DATA / "glacier_polygons.gpkg"
FJORD = DATA / "timeseries" / "box.gpkg"
UPSTREAM = Point(-185120, -2272600)  # where the demo's centreline starts


def calfin_references() -> dict[str, Path]:
    """The manual front as CALFIN lines and `_closed_` polygons (core export, no image id)."""
    from calfin_qgis.core.databases.glaciers import GlacierMap
    from calfin_qgis.core.databases.read import read_fronts_any
    from calfin_qgis.core.databases.write import export_fronts
    from calfin_qgis.core.evaluation.masks import ice_mask

    manual = read_fronts_any(MANUAL)
    fjord = read_fronts_any(FJORD, id_field="glacier_id").records[0]["mask"]
    plain = [dataclasses.replace(manual, records=[{**r, "image_id": ""} for r in manual.records])]
    closed = [{**r, "mask": ice_mask([r["geometry"]], fjord, UPSTREAM)} for r in plain[0].records]
    plain.append(dataclasses.replace(plain[0], records=closed))
    paths = {}
    for fronts, name in zip(plain, ("lines", "closed"), strict=True):
        path = OUT / f"termini_1972-2019_Jakobshavn{'_closed' if name == 'closed' else ''}_v1.0.shp"
        export_fronts(fronts, "calfin", path, GlacierMap({3: "jakobshavn_isbrae"}), overwrite=True)
        paths[name] = path
    return paths


def strip_our_ids(path: Path) -> None:
    """Only CALFIN's own fields: drop the cq_* fields an export adds (our glacier id)."""
    from osgeo import ogr

    ds = ogr.Open(str(path), 1)
    layer = ds.GetLayer(0)
    for name in ("cq_image", "cq_glacier", "cq_flag"):
        layer.DeleteField(layer.GetLayerDefn().GetFieldIndex(name))
    ds = None


def main() -> int:
    with calfin_processing() as processing:
        OUT.mkdir(parents=True, exist_ok=True)
        references = calfin_references()
        for path in references.values():
            strip_our_ids(path)
        detected = processing.run(
            "calfin:detect_fronts",
            {"INPUT": str(SCENE), "GLACIER_ID": "jakobshavn_isbrae", "OUTPUT": str(OUT / "f.gpkg")},
        )["OUTPUT"]
        runs = {
            "lines": {"GLACIERS": str(LOEBEL), "FLOW": "up"},
            "closed": {"GLACIERS": str(FJORD)},
        }
        head = ("mean m", 9), ("median m", 10), ("line IoU", 10), ("mask IoU", 10), ("bias m", 9)
        print(f"{'reference':<10}" + "".join(f"{text:>{width}}" for text, width in head))
        for name, extra in runs.items():
            result = processing.run(
                "calfin:evaluate_fronts",
                {
                    "INPUT": detected,
                    "REFERENCE": str(references[name]),
                    "PIXEL_SIZE": 30.0,
                    "OUTPUT": str(OUT / f"metrics_{name}.csv"),
                    "REPORT": str(OUT / f"report_{name}.html"),
                    **extra,
                },
            )
            print(
                f"{name:<10}{result['MEAN_M']:>9.1f}{result['MEDIAN_M']:>10.1f}"
                f"{result['LINE_IOU']:>10.3f}{result['MASK_IOU']:>10.4f}{result['BIAS_M']:>9.1f}"
            )
        print(f"Tables and reports: {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

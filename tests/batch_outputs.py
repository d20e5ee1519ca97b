"""Batch output GeoPackages for tests, written as the batch writes them (``BatchOutput``:
fronts and status rows), then given the field ``screen`` as the batch's screening adds it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from osgeo import ogr, osr
from shapely.geometry import LineString

from calfin_qgis.core.batch.output import BatchOutput


def write_batch(path: Path, crs_wkt: str, jobs: Iterable[tuple[dict, list[dict]]]) -> Path:
    """One (status row, its fronts) per scene × glacier; ``fronts`` counts them."""
    out = BatchOutput(path, crs_wkt)
    for row, fronts in jobs:
        out.add([{**row, "fronts": len(fronts)}], fronts)
    out.close()
    return path


def add_screens(path: Path, screen_of: Callable[[ogr.Feature], str]) -> None:
    """The field ``screen`` on every front, its value from ``screen_of(feature)``."""
    ds = ogr.Open(str(path), 1)
    layer = ds.GetLayerByName("fronts")
    layer.CreateField(ogr.FieldDefn("screen", ogr.OFTString))
    for feature in layer:
        feature["screen"] = screen_of(feature)
        layer.SetFeature(feature)
    ds = None


SRS = osr.SpatialReference()
SRS.ImportFromEPSG(3413)


def image_id(k: int) -> str:
    return f"LC08_L1TP_008011_2015{k + 1:02d}01_20170101_01_T1"


# index -> (status, screen, uncertainty_m); 6 was reviewed, 11 skipped by the batch
SCENES = {
    0: ("ok", "ok", 50.0),
    1: ("ok", "ok", 80.0),  # span 1: the larger uncertainty
    2: ("no front", None, None),  # span 2: no front beats a screened front
    3: ("ok", "jump", 500.0),
    4: ("ok", "length", 40.0),  # span 3: screened beats a larger uncertainty
    5: ("ok", "ok", 900.0),
    6: ("ok", "reviewed", 999.0),  # already decided: never suggested
    7: ("ok", "ok", 10.0),
    8: ("ok", "ok", 20.0),  # span 4
    9: ("ok", "ok", 30.0),  # span 5
    10: ("ok", "ok", 5.0),
    11: ("skipped: outside dates", None, None),
}


def suspect_batch(path: Path) -> Path:
    """Glacier g1's scenes as SCENES says, and g2 with one ok front."""
    jobs = []
    for glacier, scenes in (("g1", SCENES), ("g2", {0: ("ok", "ok", 70.0)})):
        for k, (status, _, uncertainty) in scenes.items():
            row = {"image_id": image_id(k), "glacier_id": glacier, "source": f"/s/{k}.tif"}
            front = {
                "image_id": image_id(k),
                "glacier_id": glacier,
                "uncertainty_m": uncertainty,
                "geometry": LineString([(k, 0), (k, 1)]),
            }
            jobs.append(({**row, "status": status}, [front] if status == "ok" else []))
    write_batch(path, SRS.ExportToWkt(), jobs)

    def screen(feature) -> str:
        k = int(feature["image_id"].split("_")[3][4:6]) - 1
        return SCENES[k][1] if feature["glacier_id"] == "g1" else "ok"

    add_screens(path, screen)
    return path

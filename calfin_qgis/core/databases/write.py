"""Our fronts written in the databases' layouts, so that they can be merged into them:
CALFIN level-1 lines (``_closed_`` polygons when every front has an ice mask, as fronts
read from a ``_closed_`` file have), TermPicks, AutoTerm (EPSG:3413, the published fields with their
names and types, then ``schemas.CQ_FIELDS``), or GeoJSON (WGS 84, our fields).

One entry point, ``export_fronts``, for calfin:export_fronts and ``python -m
calfin_qgis.core export``. Rejected fronts are never exported.
"""

from __future__ import annotations

import datetime
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from osgeo import ogr, osr

from ..errors import InputError
from ..geo import rasters, vectors
from ..geo.reproject import spatial_reference, transformation, transformed
from ..schema import FRONT_FIELDS, REJECTED
from . import dates, flags
from .glaciers import HOW_TO_MAP, GlacierMap
from .read import Fronts
from .schemas import AUTOTERM_FIELDS, CALFIN_FIELDS, CQ_FIELDS, TERMPICKS_FIELDS

FORMATS = ("calfin", "termpicks", "autoterm", "geojson")
GREENLAND_EPSG = 3413
GEOJSON_FIELDS = (*FRONT_FIELDS, ("date_known", "str"), ("author", "str"))
GEOJSON_FIELDS += (("uncertainty_m", "float"),)
LAYOUTS = {
    "calfin": (*CALFIN_FIELDS, *CQ_FIELDS),
    "termpicks": (*TERMPICKS_FIELDS, *CQ_FIELDS),
    "autoterm": (*AUTOTERM_FIELDS, *CQ_FIELDS),
    "geojson": GEOJSON_FIELDS,
}
DRIVERS = {".shp": "ESRI Shapefile", ".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON"}


@dataclass
class Exported:
    count: int
    notes: list[str] = field(default_factory=list)


def check_export_name(path: str | os.PathLike, fmt: str) -> None:
    """A known format and a file name its driver writes (checked before any work)."""
    if fmt not in FORMATS:
        raise InputError(f"Unknown format '{fmt}'. Choose one of {', '.join(FORMATS)}.")
    suffix = Path(path).suffix.lower()
    allowed = (".geojson", ".json") if fmt == "geojson" else (".shp", ".gpkg")
    if suffix not in allowed:
        raise InputError(
            f"{Path(path).name}: a {fmt} export is written as {' or '.join(allowed)} "
            f"({'the published layout' if fmt != 'geojson' else 'GeoJSON'}). Rename it."
        )


def _centre(geometry) -> tuple[float, float]:
    xy = shapely.get_coordinates(geometry)
    return (float(np.mean(xy[:, 0])), float(np.mean(xy[:, 1]))) if len(xy) else (0.0, 0.0)


def _database_id(glacier_id: str, glacier_map: GlacierMap) -> int | None:
    found = glacier_map.database_id(glacier_id)
    return found if found is not None else (int(glacier_id) if glacier_id.isdigit() else None)


def _common(record: dict, glacier_map: GlacierMap) -> dict:
    date: datetime.date | None = record.get("date")
    known = record.get("date_known") or dates.DAY
    return {
        "GlacierID": _database_id(str(record.get("glacier_id") or ""), glacier_map),
        "Date": date.isoformat() if date else None,
        "QualFlag": flags.to_database(record.get("qual_flag"), record.get("sensor"), date),
        "Satellite": record.get("sensor") or None,
        "Author": record.get("author") or record.get("reviewer") or None,
        "cq_flag": record.get("qual_flag"),
        "cq_glacier": record.get("glacier_id") or None,
        "cq_image": record.get("image_id") or None,
        "Year": date.year if date else None,
        "Month": (0 if known == dates.YEAR else date.month) if date else None,
        "Day": (date.day if known == dates.DAY else 0) if date else None,
        "DecDate": dates.decimal_year(date) if date else None,
    }


def _values(record: dict, fmt: str, glacier_map: GlacierMap, to_wgs84) -> dict:
    """The attributes of one front in the layout ``fmt`` (geometry already in its CRS)."""
    if fmt == "geojson":
        return dict(record)
    values = _common(record, glacier_map)
    date = record.get("date")
    if fmt == "termpicks" and date and record.get("date_known") == dates.YEAR:
        values["Date"] = f"{date.year:04d}-00-00"
    if fmt == "autoterm":
        values["Glacier ID"] = values["GlacierID"]
        values["Error"] = record.get("uncertainty_m")
    if fmt == "calfin":
        x, y = _centre(record["geometry"])
        lon, lat = to_wgs84.TransformPoint(x, y)[:2]
        glacier = str(record.get("glacier_id") or "")
        values |= {"Center_X": x, "Center_Y": y, "Latitude": lat, "Longitude": lon}
        values |= {"ImageID": record.get("image_id") or None, "RefName": glacier or None}
    return values


def _target_srs(fmt: str) -> osr.SpatialReference:
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326 if fmt == "geojson" else GREENLAND_EPSG)
    return srs


def export_fronts(
    fronts: Fronts,
    fmt: str,
    output: str | os.PathLike,
    glacier_map: GlacierMap | None = None,
    overwrite: bool = False,
) -> Exported:
    """Write ``fronts`` in layout ``fmt`` to ``output`` (atomically), reprojected."""
    check_export_name(output, fmt)
    if not fronts.crs_wkt:
        raise InputError(
            f"{fronts.name} has no CRS, so its fronts cannot be placed on the map. Assign its "
            "CRS (Layer Properties > Source) first."
        )
    glacier_map = glacier_map or GlacierMap()
    target = _target_srs(fmt)
    target.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    transform = transformation(fronts.crs_wkt, target.ExportToWkt())
    to_wgs84 = osr.CoordinateTransformation(
        target, spatial_reference(_target_srs("geojson").ExportToWkt())
    )
    records = [r for r in fronts.records if r.get("status") != REJECTED]
    closed = fmt == "calfin" and bool(records) and all(r.get("mask") is not None for r in records)
    written = []
    for record in records:
        line = shapely.from_wkb(transformed(shapely.to_wkb(record["geometry"]), transform))
        shape = line
        if closed:
            shape = shapely.from_wkb(transformed(shapely.to_wkb(record["mask"]), transform))
        values = _values({**record, "geometry": line}, fmt, glacier_map, to_wgs84)
        written.append({**values, "geometry": shape})
    kind = ogr.wkbPolygon if closed else ogr.wkbLineString
    _write(output, LAYOUTS[fmt], written, target, overwrite, kind)
    return Exported(len(written), _notes(fronts, records, written, fmt))


def _notes(fronts: Fronts, records: Sequence[dict], written: Sequence[dict], fmt: str) -> list[str]:
    notes = []
    if len(records) < len(fronts.records):
        notes.append(f"{len(fronts.records) - len(records)} rejected front(s) not exported.")
    if fmt != "geojson":
        unmapped = sorted({str(r.get("cq_glacier")) for r in written if r.get("GlacierID") is None})
        if unmapped:
            notes.append(
                f"Glacier id(s) {', '.join(unmapped[:8])} have no database id: GlacierID is "
                f"empty (kept in cq_glacier). {HOW_TO_MAP}"
            )
    if fmt == "autoterm" and any(r.get("Error") is None for r in written):
        notes.append("Fronts without uncertainty_m have an empty Error.")
    return notes


SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qpj")


def _write(path, fields, records: Sequence[dict], srs, overwrite: bool, kind: int) -> None:
    """Write atomically: a shapefile's parts are written in a folder beside it and moved into
    place together once all are written."""
    target = Path(path)
    rasters.check_destination(target, overwrite)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.stem}.", dir=target.parent))
    try:
        tmp = staging / target.name
        ds = ogr.GetDriverByName(DRIVERS[target.suffix.lower()]).CreateDataSource(str(tmp))
        layer = vectors.create_layer(ds, target.stem, fields, srs, kind)
        for record in records:
            vectors.add_feature(layer, fields, record)
        ds = None
        for suffix in SHAPEFILE_PARTS if target.suffix.lower() == ".shp" else ():
            target.with_suffix(suffix).unlink(missing_ok=True)  # the replaced file's parts
        for part in staging.iterdir():
            os.replace(part, target.parent / part.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)

"""Files of the terminus-change CLI: fronts, boxes, centrelines and glacier polygons read with
OGR; the tables written as CSV, the geometry used as a GeoPackage. (The Processing algorithm
reads QGIS layers instead, into the same types, and writes a CSV table with ``write_table``
too, so both write the same file.)"""

from __future__ import annotations

import csv
import datetime
import os
from collections.abc import Sequence
from pathlib import Path

from osgeo import ogr
from shapely import wkb
from shapely.geometry import LineString

from ..databases.read import Fronts, read_fronts_any
from ..databases.schemas import OURS
from ..errors import InputError
from ..geo import rasters, vectors
from .inputs import Front, Layer, by_glacier, check_front_fields, parse_date
from .table import CUT_FIELDS, GEOMETRY_FIELDS, PROFILE_FIELDS, TABLE_FIELDS, Row, rounded

ogr.UseExceptions()


def _crs(layer) -> str:
    srs = layer.GetSpatialRef()
    return srs.ExportToWkt() if srs is not None else ""


def _geometry(feature):
    geometry = feature.GetGeometryRef()
    return wkb.loads(bytes(geometry.ExportToWkb())) if geometry is not None else LineString()


def _value(feature, names: Sequence[str], name: str):
    if name not in names or not feature.IsFieldSetAndNotNull(name):
        return None
    return feature.GetField(name)


def fronts_layer(fronts: Fronts, glacier_field: str = "glacier_id") -> Layer:
    """A fronts layer in any layout (``core.databases``) as the terminus fronts: ours need a
    date and a glacier id field; a database's carry both under their own names."""
    if fronts.schema == OURS:
        check_front_fields(fronts.field_names, glacier_field, fronts.name)
    items = [
        Front(
            glacier_id=r["glacier_id"],
            date=parse_date(r["date"]),
            image_id=r["image_id"],
            qual_flag=r["qual_flag"],
            geometry=r["geometry"],
            status=r["status"],
            flow_azimuth=r.get("flow_azimuth"),
            screen=r.get("screen") or "",
            uncertainty_m=r.get("uncertainty_m"),
        )
        for r in fronts.records
    ]
    return Layer(items, fronts.crs_wkt, fronts.name)


def read_fronts(
    path: str | os.PathLike, glacier_field: str = "glacier_id", glacier_map=None
) -> tuple[Layer, list[str]]:
    """The fronts of a file, ours (with a date and a glacier id field) or a database's, and
    what the reading has to say (``core.databases``)."""
    fronts = read_fronts_any(path, glacier_map, glacier_field=glacier_field)
    return fronts_layer(fronts, glacier_field), fronts.notes


def read_references(path: str | os.PathLike, glacier_field: str, kind: str) -> Layer:
    """Boxes, centrelines or glacier polygons (``kind``) by glacier id; one feature without an
    id serves all."""
    ds = vectors.open_vector(path, f"{kind} features")
    layer = ds.GetLayer(0)
    names = vectors.field_names(layer)
    items = []
    for feature in layer:
        if feature.GetGeometryRef() is not None:
            glacier = _value(feature, names, glacier_field)
            items.append((None if glacier is None else str(glacier), _geometry(feature)))
    name = Path(path).name
    return Layer(by_glacier(items, kind, name, glacier_field), _crs(layer), name)


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def check_table_name(path: str | os.PathLike) -> None:
    if Path(path).suffix.lower() != ".csv":
        raise InputError(f"{Path(path).name}: the table is written as CSV. Name it .csv.")


def write_records(
    path: str | os.PathLike,
    records: Sequence[dict],
    fields: Sequence[tuple[str, str]],
    overwrite: bool = False,
) -> None:
    """Records as CSV (ISO dates, unquoted numbers, lengths to the millimetre), atomically."""
    check_table_name(path)
    names = [name for name, _ in fields]
    with (
        rasters.atomic_output(path, overwrite) as tmp,
        open(tmp, "w", newline="", encoding="utf-8") as handle,
    ):
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(names)
        for record in records:
            writer.writerow([_csv_value(rounded(record.get(name))) for name in names])


def write_table(path: str | os.PathLike, rows: Sequence[Row], overwrite: bool = False) -> None:
    """The positions table as CSV (one row per glacier × date)."""
    write_records(path, [row.record() for row in rows], TABLE_FIELDS, overwrite)


def write_profiles(path: str | os.PathLike, records: Sequence[dict], overwrite: bool = False):
    """The multi-centreline profiles as CSV (one row per glacier × date × line)."""
    write_records(path, records, PROFILE_FIELDS, overwrite)


def write_geometry(
    path: str | os.PathLike, records: Sequence[dict], crs_wkt: str, overwrite: bool = False
) -> None:
    """The boxes (outlines) and centrelines used, as a layer of lines (GeoPackage...)."""
    vectors.write_fronts(
        path, records, GEOMETRY_FIELDS, crs_wkt, layer_name="geometry", overwrite=overwrite
    )


def write_cuts(
    path: str | os.PathLike, records: Sequence[dict], crs_wkt: str, overwrite: bool = False
) -> None:
    """The measured box parts (``Result.cut_records``) as a polygon layer (GeoPackage...)."""
    vectors.write_fronts(
        path,
        records,
        CUT_FIELDS,
        crs_wkt,
        layer_name="box_cuts",
        overwrite=overwrite,
        geometry_type=ogr.wkbMultiPolygon,
    )

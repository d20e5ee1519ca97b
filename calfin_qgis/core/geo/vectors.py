"""Front layers written with OGR (GeoPackage, GeoJSON), atomically, fields as in
``core.schema``."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from osgeo import ogr, osr

from ..errors import InputError
from .rasters import atomic_output

_OGR_TYPES = {
    "str": ogr.OFTString,
    "int": ogr.OFTInteger,
    "float": ogr.OFTReal,
    "date": ogr.OFTDate,
}


_DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON"}


def open_vector(path: str | os.PathLike, role: str, update: bool = False):
    """An existing vector file opened with OGR, holding at least one layer; ``role`` is what
    the file should hold ("fronts", "box features"), said in the errors, which name the fix."""
    if not Path(path).is_file():
        raise InputError(f"{role.capitalize()} file not found: {path}. Check the path.")
    try:
        ds = ogr.Open(str(path), 1 if update else 0)
    except RuntimeError as err:
        raise InputError(
            f"Cannot read {path} as a vector file ({err}). Give a GeoPackage, shapefile or "
            f"GeoJSON of {role}."
        ) from err
    if ds is None or ds.GetLayerCount() == 0:
        raise InputError(f"{path} holds no vector layer. Give a file of {role}.")
    return ds


def field_names(layer) -> list[str]:
    """An OGR layer's field names, in order."""
    defn = layer.GetLayerDefn()
    return [defn.GetFieldDefn(i).GetName() for i in range(defn.GetFieldCount())]


def check_vector_name(path: str | os.PathLike) -> None:
    """The fronts file must be one of the formats written here (checked before the work)."""
    suffix = Path(path).suffix.lower()
    if suffix not in _DRIVERS:
        raise InputError(
            f"{Path(path).name}: unsupported vector format '{suffix}'. Name the file .gpkg "
            "(recommended) or .geojson."
        )


def driver_name(path: str | os.PathLike) -> str:
    """The OGR driver of a fronts file by its suffix (checked)."""
    check_vector_name(path)
    return _DRIVERS[Path(path).suffix.lower()]


def write_fronts(
    path: str | os.PathLike,
    records: Sequence[dict],
    fields: Sequence[tuple[str, str]],
    crs_wkt: str,
    layer_name: str = "fronts",
    overwrite: bool = False,
    geometry_type: int = ogr.wkbLineString,
) -> None:
    """Write line ``records`` (dicts with a ``geometry``, shapely or WKB, and ``fields``)
    atomically (another ``geometry_type`` for other features)."""
    check_vector_name(path)
    with atomic_output(path, overwrite) as tmp:
        ds = ogr.GetDriverByName(_DRIVERS[Path(path).suffix.lower()]).CreateDataSource(tmp)
        srs = osr.SpatialReference(wkt=crs_wkt) if crs_wkt else None
        layer = create_layer(ds, layer_name, fields, srs, geometry_type)
        for record in records:
            add_feature(layer, fields, record)
        ds = None


def create_layer(ds, name: str, fields: Sequence[tuple[str, str]], srs, geometry_type):
    """A new OGR layer with ``fields`` (``(name, kind)`` pairs as in ``core.schema``)."""
    layer = ds.CreateLayer(name, srs, geometry_type)
    for field_name, kind in fields:
        layer.CreateField(field_definition(field_name, kind))
    return layer


def field_definition(name: str, kind: str) -> ogr.FieldDefn:
    """An OGR field of a ``core.schema`` kind."""
    return ogr.FieldDefn(name, _OGR_TYPES[kind])


def add_feature(layer, fields: Sequence[tuple[str, str]], record: dict) -> None:
    """Add a dict (``fields`` values, and a ``geometry``, shapely or WKB, if any) to a layer."""
    feature = ogr.Feature(layer.GetLayerDefn())
    for name, kind in fields:
        value = record.get(name)
        if value is None:
            continue
        if kind == "date":
            feature.SetField(name, value.year, value.month, value.day, 0, 0, 0, 0)
        else:
            feature.SetField(name, value)
    if record.get("geometry") is not None:
        feature.SetGeometry(ogr.CreateGeometryFromWkb(geometry_wkb(record["geometry"])))
    layer.CreateFeature(feature)


def geometry_wkb(geometry) -> bytes:
    """A record's geometry as WKB: jobs return WKB, the single-scene stages shapely."""
    return geometry if isinstance(geometry, bytes) else geometry.wkb

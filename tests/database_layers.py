"""Front layers in the databases' published layouts (CALFIN level-1, TermPicks, AutoTerm),
built here for the tests, never downloaded."""

from __future__ import annotations

import datetime
from pathlib import Path

from osgeo import ogr, osr
from shapely.geometry import LineString

from calfin_qgis.core.schema import FRONT_FIELDS

_TYPES = {"int": ogr.OFTInteger, "float": ogr.OFTReal, "str": ogr.OFTString, "date": ogr.OFTDate}
UTM = 32622
OURS = (*FRONT_FIELDS, ("reviewer", "str"), ("status", "str"))  # FRONT_FIELDS has uncertainty_m
MAP_FIELDS = [("glacier_id", "str"), ("GlacierID", "int")]


def srs(epsg: int = 3413) -> osr.SpatialReference:
    out = osr.SpatialReference()
    out.ImportFromEPSG(epsg)
    return out


def write_layer(path: Path, fields, rows, epsg: int | None = 3413) -> Path:
    """A vector file (driver by suffix) with ``fields`` ((name, kind) pairs) and ``rows``
    (dicts with a shapely ``geometry``)."""
    drivers = {".shp": "ESRI Shapefile", ".gpkg": "GPKG", ".geojson": "GeoJSON"}
    ds = ogr.GetDriverByName(drivers[path.suffix]).CreateDataSource(str(path))
    layer = ds.CreateLayer(path.stem, srs(epsg) if epsg else None, ogr.wkbUnknown)
    for name, kind in fields:
        layer.CreateField(ogr.FieldDefn(name, _TYPES[kind]))
    defn = layer.GetLayerDefn()
    names = [defn.GetFieldDefn(i).GetName() for i in range(defn.GetFieldCount())]
    for row in rows:
        feature = ogr.Feature(defn)
        for (name, kind), stored in zip(fields, names, strict=True):
            value = row.get(name)
            if value is None:
                continue
            if kind == "date":
                feature.SetField(stored, value.year, value.month, value.day, 0, 0, 0, 0)
            else:
                feature.SetField(stored, value)
        feature.SetGeometry(ogr.CreateGeometryFromWkb(row["geometry"].wkb))
        layer.CreateFeature(feature)
    ds = None
    return path


def calfin_row(geometry, date: str, image_id: str, qual: int = 0, glacier: int = 3, **names):
    """A CALFIN level-1 row (Jakobshavn's names unless given)."""
    xy = list(geometry.exterior.coords if geometry.geom_type == "Polygon" else geometry.coords)
    return {
        "GlacierID": glacier,
        "Center_X": sum(x for x, _ in xy) / len(xy),
        "Center_Y": sum(y for _, y in xy) / len(xy),
        "Latitude": 69.17,
        "Longitude": -49.8,
        "QualFlag": qual,
        "Satellite": image_id[:4],
        "Date": date,
        "ImageID": image_id,
        "GrnlndcN": names.get("GrnlndcN", "Sermeq Kujalleq"),
        "OfficialN": names.get("OfficialN", "Jakobshavn Isbræ"),
        "AltName": names.get("AltName", ""),
        "RefName": names.get("RefName", "Jakobshavn"),
        "Author": "Cheng_D",
        "geometry": geometry,
    }


def our_fronts(path: Path) -> Path:
    """Three fronts of ours in UTM 22N: manual on Landsat 8, an edited pick on an SLC-off
    Landsat 7 scene, an automatic low-confidence pick; and a rejected copy of the first."""
    day = datetime.date
    rows = [
        ("LC08_L1TP_009011_20150801_20170406_01_T1", day(2015, 8, 1), 0, "A. Labeller", 25.0),
        ("LE07_L1TP_009011_20100705_20161212_01_T1", day(2010, 7, 5), 3, "B. Reviewer", None),
        ("LT05_L1TP_009011_19940712_20170113_01_T1", day(1994, 7, 12), 13, None, 60.0),
    ]
    records = [
        {
            "glacier_id": "jakobshavn_isbrae",
            "image_id": image,
            "date": date,
            "qual_flag": flag,
            "sensor": image[:4],
            "reviewer": reviewer,
            "uncertainty_m": error,
            "geometry": LineString([(530000 + 90 * i, 7670000), (531000, 7671500 + 30 * i)]),
        }
        for i, (image, date, flag, reviewer, error) in enumerate(rows)
    ]
    records.append({**records[0], "status": "rejected", "image_id": "rejected_one"})
    return write_layer(path, OURS, records, epsg=UTM)


def glacier_map(path: Path, number: int, geometry=None) -> Path:
    """A glacier map layer: jakobshavn_isbrae is the databases' integer GlacierID ``number``
    (the feature's geometry, a short line unless given, plays no part)."""
    row = {"glacier_id": "jakobshavn_isbrae", "GlacierID": number}
    row["geometry"] = LineString([(0, 0), (1, 1)]) if geometry is None else geometry
    return write_layer(path, MAP_FIELDS, [row])

"""Front layers in the databases' published layouts (CALFIN level-1, TermPicks, AutoTerm),
built here for the tests, never downloaded."""

from __future__ import annotations

from pathlib import Path

from osgeo import ogr, osr

_TYPES = {"int": ogr.OFTInteger, "float": ogr.OFTReal, "str": ogr.OFTString, "date": ogr.OFTDate}


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

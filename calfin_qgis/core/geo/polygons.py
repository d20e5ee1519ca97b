"""Search polygons: read from a vector file into the scene's CRS, checked to be areas,
turned into the scene window to process and a mask on its grid."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
from osgeo import gdal, ogr

from ..errors import InputError
from . import reproject
from .rasters import GeoTransform, Scene, Window

Warn = Callable[[str], None]


def read_polygons(path: str | os.PathLike, target_crs_wkt: str, warn: Warn = lambda text: None):
    """Union of the polygons of a vector file, reprojected into ``target_crs_wkt``; an
    invalid polygon is repaired (``repaired``) with a warning."""
    from shapely import wkb
    from shapely.ops import unary_union

    if not Path(path).is_file() and not str(path).startswith("/vsi"):
        raise InputError(f"Clip polygon file not found: {path}. Check the path.")
    ds, reason = None, "no vector layer"
    try:
        ds = ogr.Open(str(path))
    except RuntimeError as err:
        reason = str(err)
    if ds is None or ds.GetLayerCount() == 0:
        raise InputError(
            f"Cannot read clip polygons from {path} ({reason}). Choose a vector file "
            "(GeoPackage, shapefile, GeoJSON) with the fjord polygon."
        )
    layer = ds.GetLayer(0)
    source_srs = layer.GetSpatialRef()
    source_wkt = source_srs.ExportToWkt() if source_srs is not None else ""
    transform = reproject.transformation(source_wkt, target_crs_wkt)
    parts, name = [], Path(path).name
    for feature in layer:
        geom = feature.GetGeometryRef()
        if geom is not None:
            part = wkb.loads(reproject.transformed(geom.ExportToWkb(), transform))
            parts.append(repaired(part, f"Feature {feature.GetFID()} of {name}", warn))
    return search_area(unary_union(parts), name)  # also says when there is none


def repaired(geometry, label: str, warn: Warn):
    """``geometry``, or when it is not valid (self-intersecting, a bow tie) its repair by
    ``shapely.make_valid`` with a warning naming ``label``: a union of invalid polygons
    fails in GEOS. A polygon whose repair holds no area is refused, naming ``label``."""
    import shapely
    from shapely.validation import explain_validity

    if geometry.is_empty or geometry.is_valid:
        return geometry
    why = explain_validity(geometry)
    fixed = shapely.make_valid(geometry)
    areas = [part for part in shapely.get_parts(fixed) if part.geom_type.endswith("Polygon")]
    fixed = shapely.unary_union(areas) if areas else None
    if fixed is None or fixed.is_empty or fixed.area == 0:
        raise InputError(
            f"{label} is not a valid polygon ({why}) and holds no area once repaired. "
            "Redraw it (QGIS: Vector > Geometry Tools > Check Validity shows where)."
        )
    warn(
        f"{label} is not a valid polygon ({why}): repaired with make_valid; check it "
        "(QGIS: Vector > Geometry Tools > Check Validity)."
    )
    return fixed


def search_area(geometry, name: str = "The clip layer"):
    """``geometry`` when it is an area (polygons); lines or points get an error naming the fix.

    A line layer given by mistake (say, the reference front) would otherwise become a thin
    search mask that hands the answer to the network.
    """
    if geometry is None or geometry.is_empty:
        raise InputError(f"{name} holds no polygon. Choose the glacier's search-area polygon.")
    if geometry.geom_type not in ("Polygon", "MultiPolygon"):
        raise InputError(
            f"{name} holds {geometry.geom_type} geometries, not polygons. The search area is the "
            "fjord polygon in which the front may lie: choose or draw a polygon layer."
        )
    return geometry


def polygon_window(geometry, scene: Scene, margin: int) -> Window:
    """The scene window covering ``geometry`` (scene CRS) plus ``margin`` pixels, clipped."""
    import shapely

    gt = scene.geotransform
    w, h = scene.width, scene.height
    footprint = shapely.Polygon(
        [gdal.ApplyGeoTransform(gt, col, row) for col, row in ((0, 0), (w, 0), (w, h), (0, h))]
    )
    if not geometry.intersects(footprint):
        raise InputError(
            "The clip polygon does not overlap the scene. Check that it belongs to this "
            "glacier and that the scene's CRS is set correctly."
        )
    inv = gdal.InvGeoTransform(gt)
    minx, miny, maxx, maxy = geometry.bounds
    corners = [(minx, miny), (minx, maxy), (maxx, miny), (maxx, maxy)]
    cols, rows = zip(*(gdal.ApplyGeoTransform(inv, x, y) for x, y in corners), strict=True)
    c0 = max(0, int(np.floor(min(cols))) - margin)
    r0 = max(0, int(np.floor(min(rows))) - margin)
    c1 = min(scene.width, int(np.ceil(max(cols))) + margin)
    r1 = min(scene.height, int(np.ceil(max(rows))) + margin)
    return Window(c0, r0, c1 - c0, r1 - r0)


def polygon_mask(geometry, window: Window, geotransform: GeoTransform) -> np.ndarray:
    """Rasterise ``geometry`` onto the window's grid (True inside, all touched pixels)."""
    mem = gdal.GetDriverByName("MEM").Create("", window.width, window.height, 1, gdal.GDT_Byte)
    mem.SetGeoTransform(window.geotransform(geotransform))
    vec = ogr.GetDriverByName("Memory").CreateDataSource("")
    layer = vec.CreateLayer("clip")
    feature = ogr.Feature(layer.GetLayerDefn())
    feature.SetGeometry(ogr.CreateGeometryFromWkb(geometry.wkb))
    layer.CreateFeature(feature)
    # Both sides are in the scene's CRS already; GDAL would warn that neither names one.
    gdal.PushErrorHandler("CPLQuietErrorHandler")
    try:
        gdal.RasterizeLayer(mem, [1], layer, burn_values=[1], options=["ALL_TOUCHED=TRUE"])
    finally:
        gdal.PopErrorHandler()
    return mem.ReadAsArray().astype(bool)

"""Geometries from one CRS to another as WKB, with OGR: clip polygons into a scene's CRS,
fronts into the output CRS, scene footprints into the glacier polygons' CRS."""

from __future__ import annotations

from osgeo import ogr, osr

osr.UseExceptions()
ogr.UseExceptions()


def spatial_reference(crs_wkt: str) -> osr.SpatialReference:
    """An osr CRS in x/y (easting, northing / longitude, latitude) order, as GIS files are."""
    srs = osr.SpatialReference(wkt=crs_wkt)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return srs


def transformation(source_wkt: str, target_wkt: str) -> osr.CoordinateTransformation | None:
    """The transformation between two CRSs, or None when either is unknown or they are one."""
    if not source_wkt or not target_wkt:
        return None
    source, target = spatial_reference(source_wkt), spatial_reference(target_wkt)
    return None if source.IsSame(target) else osr.CoordinateTransformation(source, target)


def transformed(wkb: bytes, transform: osr.CoordinateTransformation | None) -> bytes:
    """A WKB geometry through ``transform`` (unchanged when it is None)."""
    if transform is None:
        return bytes(wkb)
    geometry = ogr.CreateGeometryFromWkb(bytes(wkb))
    geometry.Transform(transform)
    return bytes(geometry.ExportToWkb())


def same_crs(a_wkt: str, b_wkt: str) -> bool:
    """Whether two WKT name the same CRS (both empty counts as the same: pixel units)."""
    if not a_wkt or not b_wkt:
        return a_wkt == b_wkt
    return bool(spatial_reference(a_wkt).IsSame(spatial_reference(b_wkt)))


UNDEFINED_SRS = ("Undefined geographic SRS", "Undefined Cartesian SRS")
"""What GDAL and QGIS read back from a GeoPackage layer written without a CRS (srs_id 0 and
-1): a 'geographic' CRS in degrees whose coordinates are in fact pixels."""


def defined(crs_wkt: str) -> str:
    """``crs_wkt``, or '' when it names no CRS (empty, or a GeoPackage's undefined SRS)."""
    if not crs_wkt:
        return ""
    return "" if osr.SpatialReference(wkt=crs_wkt).GetName() in UNDEFINED_SRS else crs_wkt

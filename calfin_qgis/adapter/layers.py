"""Conversions between QGIS layers and the plain data the core pipeline works on."""

from __future__ import annotations

import datetime
import os

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsFeatureSink,
    QgsField,
    QgsFields,
    QgsGeometry,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputLayerDefinition,
    QgsRasterLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QDate, QDateTime, QVariant

_QVARIANT = {
    "str": QVariant.String,
    "int": QVariant.Int,
    "float": QVariant.Double,
    "date": QVariant.Date,
}


def make_fields(spec) -> QgsFields:
    """QgsFields from ``(name, kind)`` pairs as in ``core.schema``."""
    fields = QgsFields()
    for name, kind in spec:
        fields.append(QgsField(name, _QVARIANT[kind]))
    return fields


def _value(value):
    if isinstance(value, datetime.date):
        return QDate(value.year, value.month, value.day)
    return value


def add_records(sink, fields: QgsFields, records, geometry: bool = True) -> None:
    """Add dicts (``geometry``, shapely or WKB, + attributes) to a feature sink."""
    from ..core.geo import vectors

    for record in records:
        feature = QgsFeature(fields)
        if geometry:
            geom = QgsGeometry()
            geom.fromWkb(vectors.geometry_wkb(record["geometry"]))
            feature.setGeometry(geom)
        for name in fields.names():
            feature[name] = _value(record.get(name))
        sink.addFeature(feature, QgsFeatureSink.FastInsert)


def raster_path(layer: QgsRasterLayer | None, name: str = "INPUT") -> str:
    """The file behind a raster layer; only GDAL-readable files can be processed."""
    if layer is None or not layer.isValid():
        raise QgsProcessingException(
            f"{name}: the raster could not be opened. Check that the file exists and is a "
            "raster GDAL can read (GeoTIFF, JPEG2000, PNG...)."
        )
    if layer.providerType() != "gdal":
        raise QgsProcessingException(
            f"{name}: layer '{layer.name()}' comes from the '{layer.providerType()}' provider; "
            "save it as a GeoTIFF first (Export > Save As)."
        )
    return layer.source().split("|")[0]


def source_geometry(source, crs: QgsCoordinateReferenceSystem, context):
    """Union of a feature source's geometries, transformed into ``crs``, as shapely."""
    if source is None:
        return None
    from shapely import wkb

    if QgsWkbTypes.geometryType(source.wkbType()) != QgsWkbTypes.PolygonGeometry:
        kind = QgsWkbTypes.geometryDisplayString(QgsWkbTypes.geometryType(source.wkbType()))
        raise QgsProcessingException(
            f"CLIP: layer '{source.sourceName()}' holds {kind.lower()} geometries, not polygons. "
            "The search area is the fjord polygon in which the front may lie: choose or draw "
            "a polygon layer."
        )

    transform = QgsCoordinateTransform(source.sourceCrs(), crs, context.transformContext())
    parts = []
    for feature in source.getFeatures():
        geometry = QgsGeometry(feature.geometry())
        if geometry.isEmpty():
            continue
        if crs.isValid() and source.sourceCrs().isValid() and source.sourceCrs() != crs:
            geometry.transform(transform)
        parts.append(geometry)
    if not parts:
        raise QgsProcessingException(
            "The clip polygon layer has no features. Choose the glacier's search-area polygon."
        )
    return wkb.loads(bytes(QgsGeometry.unaryUnion(parts).asWkb()))


def file_path(source: str) -> str:
    """The file behind a layer source or destination (``path|layername=...`` gives ``path``);
    ``memory:``, ``ogr:``, database URIs and TEMPORARY_OUTPUT give ''. ``C:/...`` is a path."""
    path = source.split("|")[0]
    scheme = path.split(":", 1)[0] if ":" in path else ""
    if path == QgsProcessing.TEMPORARY_OUTPUT or (len(scheme) > 1 and "/" not in scheme):
        return ""
    return path


def check_file_destinations(*destinations: str, geotiff: bool = False) -> None:
    """Fail before the long work when a file output's folder is missing or not writable
    (and, with ``geotiff``, when a raster output is not named .tif).

    QGIS's file dialog has already asked about replacing an existing file, so overwriting
    is allowed here; temporary and database destinations are left to QGIS.
    """
    from ..core.errors import InputError
    from ..core.geo import rasters

    paths = [os.path.abspath(path) for path in filter(None, map(file_path, destinations))]
    twice = sorted({path for path in paths if paths.count(path) > 1})
    if twice:
        raise QgsProcessingException(
            f"Two outputs are the same file ({', '.join(twice)}): one would replace the "
            "other. Give each output its own file name."
        )
    for path in filter(None, map(file_path, destinations)):
        try:
            if geotiff:
                rasters.check_geotiff_name(path)
            rasters.check_destination(path, overwrite=True)
        except InputError as err:
            raise QgsProcessingException(str(err)) from err


def destination(parameters: dict, name: str) -> str:
    """What the user gave as a sink's destination, without ``parameterAsOutputLayer``, which
    would register a second, never-written layer to load (QGIS then reports it as failed)."""
    value = parameters.get(name)
    if isinstance(value, QgsProcessingOutputLayerDefinition):
        value = value.sink.staticValue()
    return value if isinstance(value, str) else ""


def overwritten_input(alg, parameters, context) -> str | None:
    """A message when an output file is one of the input files (the run would destroy it)."""
    from ..core.geo import rasters

    inputs = []
    for param in alg.parameterDefinitions():
        if param.isDestination() or param.name() not in parameters:
            continue
        if param.type() == "raster":
            layer = alg.parameterAsRasterLayer(parameters, param.name(), context)
        elif param.type() in ("source", "vector"):
            layer = alg.parameterAsVectorLayer(parameters, param.name(), context)
        else:
            continue
        if layer is not None and file_path(layer.source()):
            inputs.append((param.name(), file_path(layer.source())))
    for param in alg.destinationParameterDefinitions():
        output = file_path(destination(parameters, param.name()))
        for name, path in inputs if output else ():
            if rasters.same_file(output, path):
                return (
                    f"{param.name()} ({output}) is the file of {name}: writing it would "
                    "replace your input. Choose another output file."
                )
    return None


def plain(value):
    """A feature attribute as plain Python: NULL → None, QDate/QDateTime → date."""
    if value is None or (isinstance(value, QVariant) and value.isNull()):
        return None
    if isinstance(value, QDate):
        return value.toPyDate() if value.isValid() else None
    if isinstance(value, QDateTime):
        return value.date().toPyDate() if value.isValid() else None
    return value


def shapely_geometry(feature, as_row: bool = False):
    """A feature's geometry as shapely (an empty line when it has none). ``as_row``: as the
    database readers take a row's (``core.databases.read``): 2-D, None when it has none."""
    from shapely import force_2d, wkb
    from shapely.geometry import LineString

    if not feature.hasGeometry() or feature.geometry().isEmpty():
        return None if as_row else LineString()
    shape = wkb.loads(bytes(feature.geometry().asWkb()))
    return force_2d(shape) if as_row else shape


def glacier_features(source, id_field: str, flow_field: str | None):
    """(glacier id, flow, polygon WKB, label) of a feature source, for ``core.glaciers``
    (NULL id or geometry as None, as the shell reads them)."""
    for feature in source.getFeatures():
        geometry = feature.geometry()
        glacier_id = plain(feature[id_field])
        flow = plain(feature[flow_field]) if flow_field else None
        yield (
            None if glacier_id is None else str(glacier_id),
            None if flow in (None, "") else str(flow),
            None if geometry.isEmpty() else bytes(geometry.asWkb()),
            f"Feature {feature.id()}",
        )


def unquote_csv(path: str) -> None:
    """Rewrite a CSV written by GDAL < 3.8, whose CSV driver quotes integer fields ("1"),
    so that only text that needs them keeps quotes (as GDAL 3.8 and later write it)."""
    import csv

    from ..core.geo import rasters

    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    with rasters.atomic_output(path, overwrite=True) as tmp, open(tmp, "w", newline="") as out:
        csv.writer(out, lineterminator="\n").writerows(rows)

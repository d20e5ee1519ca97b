"""QGIS layers of fronts in any database layout, and glacier map layers, as the core's
values (``core.databases``): the same reading as ``read_fronts_any`` gives a file."""

from __future__ import annotations

from qgis.core import QgsFeatureRequest
from qgis.PyQt.QtCore import QVariant

from .layers import plain, shapely_geometry


def source_fronts(
    source,
    context=None,
    crs=None,
    glacier_map=None,
    id_field=None,
    glacier_field=None,
    features=None,
):
    """A feature source's fronts (``core.databases.read.Fronts``), in ``crs`` when given;
    from ``features`` (the source's, already read, in their order) instead when given."""
    from ..core.databases.read import fronts_from_rows

    request = QgsFeatureRequest()
    target = source.sourceCrs()
    if crs is not None and context is not None:
        request.setDestinationCrs(crs, context.transformContext())
        target = crs
    names = source.fields().names()
    if features is None:
        features = source.getFeatures(request)
    rows = (({n: plain(f[n]) for n in names}, shapely_geometry(f, as_row=True)) for f in features)
    name = f"Layer '{source.sourceName()}'"
    return fronts_from_rows(names, rows, target.toWkt(), name, glacier_map, id_field, glacier_field)


def source_glacier_map(source):
    """A GLACIER_MAP layer as ``core.databases.glaciers.GlacierMap`` (None without one)."""
    if source is None:
        return None
    from ..core.databases.glaciers import map_fields, map_from_rows

    fields = source.fields()
    integer = (QVariant.Int, QVariant.LongLong, QVariant.UInt, QVariant.ULongLong)
    kinds = {f.name(): "int" if f.type() in integer else "" for f in fields}
    name = f"GLACIER_MAP '{source.sourceName()}'"
    number, glacier = map_fields(fields.names(), kinds, name)
    rows = ((plain(f[number]), plain(f[glacier])) for f in source.getFeatures())
    return map_from_rows(rows, name)


def source_references(source, field: str, kind: str):
    """A layer of boxes, centrelines or polygons (``source``, or None) as the core's
    ``terminus.inputs.Layer``: each geometry under its ``field`` glacier id (a layer with no
    such field: one geometry for every glacier). ``kind`` names it in messages."""
    from ..core.terminus.inputs import Layer, by_glacier

    if source is None:
        return None
    name = f"{kind.capitalize()} layer '{source.sourceName()}'"
    has_id = field in source.fields().names()
    items = [
        (plain(f[field]) if has_id else None, shapely_geometry(f))
        for f in source.getFeatures()
        if f.hasGeometry()
    ]
    items = [(None if g is None else str(g), geometry) for g, geometry in items]
    return Layer(by_glacier(items, kind, name, field), source.sourceCrs().toWkt(), name)

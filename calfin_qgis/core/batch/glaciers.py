"""Glacier polygons for the batch: one polygon per glacier id, with an optional flow
direction, read from a vector file (CLI) or fed from a QGIS layer (the algorithm)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from osgeo import ogr

from ..errors import InputError
from ..geo import polygons
from ..geo.polygons import Warn


@dataclass(frozen=True)
class Glacier:
    glacier_id: str
    wkb: bytes
    """The polygon in the glacier layer's CRS."""
    flow: str | None = None
    """Ice flow direction in the image (up/down/left/right or an azimuth); None: the
    batch's FLOW."""


GlacierFeature = tuple[str | None, str | None, bytes | None, str]
"""(glacier id or None, flow or None, polygon WKB or None, the feature's label for messages)."""


def group_glaciers(
    features: Iterable[GlacierFeature], name: str, warn: Warn = lambda text: None
) -> list[Glacier]:
    """Glacier features as glaciers: features sharing an id are one glacier (their union).
    A feature without an id is refused, naming it; one without a geometry is left out with
    a warning; an invalid polygon is repaired with one (``polygons.repaired``); lines or
    points are refused (``polygons.search_area``)."""
    from shapely import wkb
    from shapely.ops import unary_union

    parts: dict[str, list] = {}
    flows: dict[str, str | None] = {}
    for glacier_id, flow, geometry, label in features:
        if glacier_id is None or not glacier_id.strip():
            raise InputError(
                f"{label} of {name} has no glacier id (empty or NULL). Fill in its id, or "
                "delete the feature."
            )
        shape = wkb.loads(geometry) if geometry else None
        if shape is None or shape.is_empty:
            warn(f"{label} of {name} (glacier {glacier_id}) has no geometry: left out.")
            continue
        shape = polygons.repaired(shape, f"{label} of {name} (glacier {glacier_id})", warn)
        parts.setdefault(glacier_id, []).append(shape)
        flows[glacier_id] = flows.get(glacier_id) or (flow or None)
    if not parts:
        raise InputError(f"{name} holds no polygon. Choose the glacier polygon layer.")
    return [
        Glacier(glacier_id, polygons.search_area(unary_union(shapes), name).wkb, flows[glacier_id])
        for glacier_id, shapes in parts.items()
    ]


def check_fields(name: str, fields: list[str], *wanted: str | None) -> None:
    for field in filter(None, wanted):
        if field not in fields:
            raise InputError(
                f"{name} has no field '{field}' (fields: {', '.join(fields)}). Name the field "
                "that holds each polygon's glacier id (or flow direction)."
            )


def read_glaciers(
    path: str,
    id_field: str = "glacier_id",
    flow_field: str | None = None,
    warn: Warn = lambda text: None,
) -> tuple[list[Glacier], str]:
    """The glaciers of a vector file's first layer, and its CRS (WKT); ``warn`` receives
    what ``group_glaciers`` repairs or leaves out."""
    name = Path(path).name
    try:
        ds = ogr.Open(str(path))
    except RuntimeError as err:
        raise InputError(f"Cannot read glacier polygons from {path} ({err}).") from err
    layer = ds.GetLayer(0) if ds is not None else None
    if layer is None:
        raise InputError(f"{path} holds no vector layer. Choose the glacier polygon file.")
    check_fields(name, [field.GetName() for field in layer.schema], id_field, flow_field)
    srs = layer.GetSpatialRef()
    if srs is None:
        raise InputError(f"{name} has no CRS. Assign the polygons' CRS (e.g. EPSG:3413) first.")

    def features():
        for feature in layer:
            geometry = feature.GetGeometryRef()
            flow = feature[flow_field] if flow_field else None
            glacier_id = feature[id_field]
            yield (
                None if glacier_id is None else str(glacier_id),
                None if flow in (None, "") else str(flow),
                bytes(geometry.ExportToWkb()) if geometry is not None else None,
                f"Feature {feature.GetFID()}",
            )

    return group_glaciers(features(), name, warn), srs.ExportToWkt()

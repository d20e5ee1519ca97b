"""Glacier polygons for the batch: one polygon per glacier id, with an optional flow
direction, read from a vector file (CLI) or fed from a QGIS layer (the algorithm)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from osgeo import ogr

from ..errors import InputError
from ..geo import polygons


@dataclass(frozen=True)
class Glacier:
    glacier_id: str
    wkb: bytes
    """The polygon in the glacier layer's CRS."""
    flow: str | None = None
    """Ice flow direction in the image (up/down/left/right or an azimuth); None: the
    batch's FLOW."""


def group_glaciers(features: Iterable[tuple[str, str | None, bytes]], name: str) -> list[Glacier]:
    """(glacier id, flow, polygon WKB) features as glaciers: features sharing an id are one
    glacier (their union); lines or points are refused (``polygons.search_area``)."""
    from shapely import wkb
    from shapely.ops import unary_union

    parts: dict[str, list] = {}
    flows: dict[str, str | None] = {}
    for glacier_id, flow, geometry in features:
        parts.setdefault(glacier_id, []).append(wkb.loads(geometry))
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
    path: str, id_field: str = "glacier_id", flow_field: str | None = None
) -> tuple[list[Glacier], str]:
    """The glaciers of a vector file's first layer, and its CRS (WKT)."""
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
            if geometry is not None and not geometry.IsEmpty():
                flow = feature[flow_field] if flow_field else None
                flow = None if flow in (None, "") else str(flow)
                yield str(feature[id_field]), flow, bytes(geometry.ExportToWkb())

    return group_glaciers(features(), name), srs.ExportToWkt()

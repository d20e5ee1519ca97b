"""Inputs of terminus change: fronts, boxes and centrelines as plain values, the checks that
name what a user must fix, and the CRS they are measured in."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import shapely
from osgeo import osr
from shapely.geometry.base import BaseGeometry

from ..errors import InputError
from ..geo.reproject import defined
from ..schema import QUAL_AUTO, QUAL_MANUAL, QUAL_MANUAL_EDITED, REJECTED

osr.UseExceptions()

DEFAULT_QUAL_FLAGS = (QUAL_MANUAL, QUAL_MANUAL_EDITED, QUAL_AUTO)
"""Reviewed or hand-drawn fronts and automatic high-confidence ones (rejected: never)."""

EVERY_GLACIER = None
"""Key of a box or centreline given without a glacier id: it serves the one glacier."""


@dataclass(frozen=True)
class Front:
    """One front feature as read from a layer (geometry in that layer's CRS)."""

    glacier_id: str
    date: datetime.date | None
    image_id: str
    qual_flag: int | None
    geometry: BaseGeometry
    status: str = ""
    flow_azimuth: float | None = None
    """Detected fronts' ice side (``schema.FRONT_FIELDS``); None for hand-drawn ones."""
    screen: str = ""
    """Screening's verdict (``core.screening``): '', ok, reviewed, or the rules it fails."""
    uncertainty_m: float | None = None

    @property
    def screened(self) -> bool:
        return self.screen not in SCREEN_OK


SCREEN_OK = ("", "ok", "reviewed")
"""``screen`` values of fronts that are measured: not screened, passed, or reviewed."""


@dataclass(frozen=True)
class Layer:
    """Geometries of a layer keyed by glacier id (fronts: a list), with the layer's CRS."""

    items: Mapping | Sequence
    crs_wkt: str
    name: str


def parse_flags(text: str) -> tuple[int, ...]:
    """ "0,3,10" → (0, 3, 10); the CLI's and the algorithm's QUAL_FLAGS."""
    try:
        flags = tuple(int(part) for part in text.replace(";", ",").split(",") if part.strip())
    except ValueError:
        raise InputError(
            f"QUAL_FLAGS '{text}' is not a list of numbers. Give flags such as 0,3,10."
        ) from None
    if not flags:
        raise InputError("QUAL_FLAGS is empty. Give the flags of the fronts to use, e.g. 0,3,10.")
    return flags


def parse_date(value) -> datetime.date | None:
    """A date from a date, a datetime or an ISO text (2001-07-07, 2001/07/07); else None."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip()[:10].replace("/", "-"))
    except ValueError:
        return None


def check_front_fields(names: Sequence[str], glacier_field: str, layer: str) -> None:
    """The fronts layer needs a date and a glacier id field; the errors say which to choose."""
    if "date" not in names:
        raise InputError(
            f"{layer} has no 'date' field, so its fronts cannot be put in time. Use a fronts "
            "layer written by calfin (detect_fronts or the review dock), or add a date field "
            "with each front's acquisition date."
        )
    if glacier_field not in names:
        raise InputError(
            f"{layer} has no field '{glacier_field}'. Choose the field that names each front's "
            f"glacier (GLACIER_FIELD), or add one; fields: {', '.join(names)}."
        )


def by_glacier(
    items: Sequence[tuple[str | None, BaseGeometry]], kind: str, layer: str, field_name: str
) -> dict:
    """Glacier id → one geometry (``kind``: box or centreline). A lone feature without a glacier
    id serves every glacier; several need an id each."""
    if not items:
        raise InputError(f"{layer} holds no {kind}. Draw one per glacier.")
    if len(items) == 1 and items[0][0] is None:
        return {EVERY_GLACIER: items[0][1]}
    out: dict = {}
    for glacier, geometry in items:
        if glacier is None:
            raise InputError(
                f"{layer} holds {len(items)} features, not all with a glacier id in a field "
                f"'{field_name}'. Add or fill that field (GLACIER_FIELD, --glacier-field) so that "
                f"each front finds its glacier's {kind}, or keep a single {kind}."
            )
        if glacier in out:
            raise InputError(
                f"{layer} holds more than one {kind} for glacier '{glacier}'. Keep one {kind} "
                "per glacier (merge or delete the others)."
            )
        out[glacier] = geometry
    return out


def metric_crs(*layers: Layer | None) -> tuple[str, float]:
    """The first projected CRS among the layers (WKT) and its metres per unit."""
    for layer in layers:
        if layer is None:
            continue
        if not defined(layer.crs_wkt):
            raise InputError(
                f"{layer.name} has no CRS (pixel coordinates, as the fronts of a scene without "
                "georeference), so it cannot be placed with the other layers. Detect the "
                "fronts on georeferenced scenes; if a layer only lost its CRS, set it (Layer "
                "Properties > Source, or ogr2ogr -a_srs)."
            )
    for layer in layers:
        srs = osr.SpatialReference(wkt=layer.crs_wkt) if layer else None
        if srs is not None and srs.IsProjected():
            return layer.crs_wkt, srs.GetLinearUnits()
    raise InputError(
        "None of the layers is in a projected CRS, so distances cannot be measured in metres. "
        "Reproject the fronts to a projected CRS in metres (e.g. EPSG:3413 for Greenland)."
    )


def _transformer(source_wkt: str, target_wkt: str):
    """A shapely.transform function from one CRS into another, or None when they agree."""
    source, target = (osr.SpatialReference(wkt=w) for w in (source_wkt, target_wkt))
    for srs in (source, target):
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    if source.IsSame(target):
        return None
    transform = osr.CoordinateTransformation(source, target)
    return lambda xy: np.asarray(transform.TransformPoints(xy.tolist()))[:, :2].reshape(xy.shape)


def reproject(geometry: BaseGeometry, source_wkt: str, target_wkt: str) -> BaseGeometry:
    function = _transformer(source_wkt, target_wkt)
    return geometry if function is None else shapely.transform(geometry, function)


def select(fronts: Sequence[Front], flags: Sequence[int], notes: list[str]) -> list[Front]:
    """Fronts to measure: never a rejected one; only the given flags (all without flags)."""
    rejected = [f for f in fronts if f.status == REJECTED]
    kept = [f for f in fronts if f.status != REJECTED]
    if rejected:
        notes.append(f"{len(rejected)} rejected front(s) left out (review status 'rejected').")
    if all(f.qual_flag is None for f in kept):
        if kept:
            notes.append("The fronts carry no qual_flag: all of them are used.")
        return kept
    used = [f for f in kept if f.qual_flag in flags]
    others = Counter(f.qual_flag for f in kept if f.qual_flag not in flags)
    if others:
        counts = ", ".join(f"{flag}: {n}" for flag, n in sorted(others.items(), key=str))
        notes.append(
            f"{sum(others.values())} front(s) left out by QUAL_FLAGS "
            f"{','.join(map(str, flags))} (qual_flag {counts})."
        )
    if kept and not used:
        raise InputError(
            f"None of the {len(kept)} fronts has a qual_flag in {','.join(map(str, flags))} "
            f"(found {', '.join(map(str, sorted(others, key=str)))}). Add those flags to "
            "QUAL_FLAGS (--qual-flags) to use them."
        )
    return used


METHODS = ("box", "curvilinear_box", "centreline", "extrapolated_centreline", "multi_centreline")
"""The position methods, in the order of their columns (``<method>_position_m``)."""


def check_method(method: str) -> str:
    """METHOD as given (case and spaces forgiven), or an error listing the choices."""
    name = str(method).strip().lower().replace(" ", "_").replace("-", "_")
    if name not in METHODS:
        raise InputError(f"METHOD '{method}' is not one of {', '.join(METHODS)}. Choose one.")
    return name


def reproject_front(front: Front, source_wkt: str, target_wkt: str) -> Front:
    """``front`` in the target CRS, its ``flow_azimuth`` turned with the grid (meridian
    convergence: a polar stereographic grid's north is not a UTM grid's)."""
    geometry = reproject(front.geometry, source_wkt, target_wkt)
    azimuth = front.flow_azimuth
    if azimuth is not None and geometry is not front.geometry and not front.geometry.is_empty:
        centre = front.geometry.centroid
        step = max(front.geometry.length, 1.0) / 10
        radians = np.radians(azimuth)
        ahead = shapely.Point(centre.x + step * np.sin(radians), centre.y + step * np.cos(radians))
        a, b = (reproject(p, source_wkt, target_wkt) for p in (centre, ahead))
        azimuth = float(np.degrees(np.arctan2(b.x - a.x, b.y - a.y)) % 360)
    return replace(front, geometry=geometry, flow_azimuth=azimuth)


def leave_screened(fronts: Sequence[Front], keep: bool, notes: list[str]) -> list[Front]:
    """The fronts screening marked, to leave out (none when ``keep``); a note names them."""
    screened = [f for f in fronts if f.screened]
    if screened:
        listed = "; ".join(f"{f.image_id or f.date} ({f.screen})" for f in screened[:12])
        more = f" and {len(screened) - 12} more" if len(screened) > 12 else ""
        done = "kept, greyed in the report"
        if not keep:
            done = "left out (keep them: KEEP_SCREENED, --keep-screened)"
        notes.append(f"{len(screened)} screened front(s) {done}: {listed}{more}.")
    return [] if keep else screened

"""Terminus change over time: dated fronts → positions in a box and along a centreline.

One entry point, ``terminus_change``, for the Processing algorithm and the CLI. Fronts of
one glacier on one date are one position (their union). Every glacier × date gets a row;
a front that cannot be measured keeps its row with the reason in ``warning``. The change
since the first date and the rate to the previous date are those of the box position where
the glacier has a box, else of the centreline position. Positions grow downstream: a
retreat is a negative change.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from osgeo import osr
from shapely.geometry.base import BaseGeometry
from shapely.ops import linemerge, unary_union

from ..errors import InputError
from ..geo.reproject import defined
from ..schema import QUAL_AUTO, QUAL_MANUAL, QUAL_MANUAL_EDITED, REJECTED
from .geometry import Box, Measure, centreline_position, drawn_backwards

osr.UseExceptions()

DEFAULT_QUAL_FLAGS = (QUAL_MANUAL, QUAL_MANUAL_EDITED, QUAL_AUTO)
"""Reviewed or hand-drawn fronts and automatic high-confidence ones (rejected: never)."""

EVERY_GLACIER = None
"""Key of a box or centreline given without a glacier id: it serves the one glacier."""

DAYS_PER_YEAR = 365.25

TABLE_FIELDS: tuple[tuple[str, str], ...] = (
    ("glacier_id", "str"),
    ("date", "date"),
    ("image_id", "str"),
    ("qual_flag", "int"),
    ("n_fronts", "int"),
    ("box_position_m", "float"),
    ("centreline_position_m", "float"),
    ("change_m", "float"),
    ("rate_m_per_yr", "float"),
    ("warning", "str"),
)
CUT_FIELDS: tuple[tuple[str, str], ...] = (
    ("glacier_id", "str"),
    ("date", "date"),
    ("box_position_m", "float"),
)


@dataclass(frozen=True)
class Front:
    """One front feature as read from a layer (geometry in that layer's CRS)."""

    glacier_id: str
    date: datetime.date | None
    image_id: str
    qual_flag: int | None
    geometry: BaseGeometry
    status: str = ""


@dataclass(frozen=True)
class Layer:
    """Geometries of a layer keyed by glacier id (fronts: a list), with the layer's CRS."""

    items: Mapping | Sequence
    crs_wkt: str
    name: str


@dataclass
class Row:
    glacier_id: str
    date: datetime.date | None
    image_id: str
    qual_flag: int | None
    n_fronts: int
    box_position_m: float | None = None
    centreline_position_m: float | None = None
    change_m: float | None = None
    rate_m_per_yr: float | None = None
    warning: str = ""
    cut: BaseGeometry | None = None

    def record(self) -> dict:
        return {name: getattr(self, name) for name, _ in TABLE_FIELDS}


@dataclass
class Result:
    rows: list[Row]
    crs_wkt: str
    notes: list[str] = field(default_factory=list)
    """What the user should know: fronts left out by flag or review, reversed centrelines."""
    methods: dict[str, str] = field(default_factory=dict)
    """Glacier id → the position its change is computed from ("box" or "centreline")."""


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


def _select(fronts: Sequence[Front], flags: Sequence[int], notes: list[str]) -> list[Front]:
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


def _line(geometry: BaseGeometry, name: str) -> BaseGeometry:
    merged = linemerge(geometry) if geometry.geom_type == "MultiLineString" else geometry
    if merged.geom_type != "LineString":
        raise InputError(
            f"The centreline of glacier '{name}' is not one line ({merged.geom_type}). Draw it "
            "as a single line from upstream to the ocean."
        )
    return merged


def _group(fronts: Sequence[Front]) -> dict[tuple, list[Front]]:
    """(glacier id, date) → its fronts; a front without a date is a group of its own."""
    groups: dict = defaultdict(list)
    for i, front in enumerate(fronts):
        groups[(front.glacier_id, front.date, None if front.date else i)].append(front)
    return groups


def _row(glacier: str, date, members: Sequence[Front]) -> Row:
    flags = [f.qual_flag for f in members if f.qual_flag is not None]
    ids = dict.fromkeys(f.image_id for f in members if f.image_id)
    return Row(glacier, date, "; ".join(ids), max(flags) if flags else None, len(members))


def _add_change(rows: Sequence[Row], key: str) -> None:
    """change_m since the first measured date and rate_m_per_yr to the previous one."""
    measured = [r for r in rows if r.date is not None and getattr(r, key) is not None]
    for i, row in enumerate(measured):
        row.change_m = getattr(row, key) - getattr(measured[0], key)
        if i:
            previous = measured[i - 1]
            years = (row.date - previous.date).days / DAYS_PER_YEAR
            row.rate_m_per_yr = (getattr(row, key) - getattr(previous, key)) / years


def _warn(row: Row, text: str) -> None:
    row.warning = f"{row.warning}; {text}" if row.warning else text


def _metres(row: Row, measure: Measure, metres_per_unit: float) -> float | None:
    """The measured position in metres; its warning, if any, goes into the row."""
    if measure.warning:
        _warn(row, measure.warning)
    return None if measure.position is None else measure.position * metres_per_unit


def _references(layer: Layer | None, crs_wkt: str, glaciers: Sequence[str]):
    """glacier id → the layer's geometry for it (reprojected) or None."""
    if layer is None:
        return lambda glacier: None
    if EVERY_GLACIER in layer.items and len(glaciers) > 1:
        raise InputError(
            f"{layer.name} has one feature without a glacier id, but the fronts belong to "
            f"{len(glaciers)} glaciers. Add a glacier id field to {layer.name}."
        )
    items = {g: reproject(geom, layer.crs_wkt, crs_wkt) for g, geom in layer.items.items()}
    return lambda glacier: items.get(glacier, items.get(EVERY_GLACIER))


def terminus_change(
    fronts: Layer,
    boxes: Layer | None = None,
    centrelines: Layer | None = None,
    qual_flags: Sequence[int] = DEFAULT_QUAL_FLAGS,
) -> Result:
    """Positions of every glacier × date of ``fronts`` (a Layer of ``Front``s).

    ``boxes`` and ``centrelines`` map glacier id (or ``EVERY_GLACIER``) to a polygon / line.
    All are reprojected into the first projected CRS among fronts, boxes and centrelines.
    """
    if boxes is None and centrelines is None:
        raise InputError(
            "Give a box layer (BOX, --box), a centreline layer (CENTRELINE, --centreline) or "
            "both: the position of a front is measured in a box or along a centreline."
        )
    if not fronts.items:
        raise InputError(f"{fronts.name} holds no fronts. Choose a layer of dated fronts.")
    crs_wkt, metres = metric_crs(fronts, boxes, centrelines)
    notes: list[str] = []
    used = [
        Front(f.glacier_id, f.date, f.image_id, f.qual_flag, g, f.status)
        for f in _select(fronts.items, qual_flags, notes)
        for g in [reproject(f.geometry, fronts.crs_wkt, crs_wkt)]
    ]
    glaciers = sorted({f.glacier_id for f in used})
    box_of = _references(boxes, crs_wkt, glaciers)
    line_of = _references(centrelines, crs_wkt, glaciers)
    groups = _group(used)
    rows: list[Row] = []
    methods: dict[str, str] = {}
    for glacier in glaciers:
        keys = sorted(
            (k for k in groups if k[0] == glacier),
            key=lambda k: (k[1] is None, k[1] or datetime.date.min, k[2] or 0),
        )
        glacier_rows = [_row(glacier, k[1], groups[k]) for k in keys]
        rows.extend(glacier_rows)
        unions = [unary_union([f.geometry for f in groups[k]]) for k in keys]
        method = _measure(glacier_rows, unions, box_of(glacier), line_of(glacier), metres, notes)
        if method:
            methods[glacier] = method
    return Result(rows, crs_wkt, notes, methods)


def _measure(
    rows: Sequence[Row],
    fronts: Sequence[BaseGeometry],
    box: BaseGeometry | None,
    line: BaseGeometry | None,
    metres_per_unit: float,
    notes: list[str],
) -> str | None:
    """Fill one glacier's ``rows`` (by date) from its ``fronts``; returns the method used for
    the change ("box" or "centreline"), None when the glacier has neither."""
    glacier = rows[0].glacier_id
    for row in rows:
        if row.date is None:
            _warn(row, "no date: left out of the time series")
    if box is None and line is None:
        for row in rows:
            _warn(row, f"no box or centreline for glacier '{glacier}': left out")
        return None
    if line is not None:
        line = _line(line, glacier)
        if drawn_backwards(line, unary_union(fronts)):
            line = line.reverse()
            text = "centreline reversed: its start lay much nearer the fronts than its end"
            notes.append(f"Glacier '{glacier}': {text} (draw it upstream → ocean).")
            for row in rows:
                _warn(row, text)
    try:
        frame = Box(box, line) if box is not None else None
    except ValueError as err:
        raise InputError(f"The box of glacier '{glacier}': {err}. Keep one polygon.") from None
    for row, front in zip(rows, fronts, strict=True):
        if frame is not None:
            measure = frame.measure(front)
            row.box_position_m, row.cut = _metres(row, measure, metres_per_unit), measure.cut
        if line is not None:
            measure = centreline_position(line, front)
            row.centreline_position_m = _metres(row, measure, metres_per_unit)
    method = "box" if frame else "centreline"
    _add_change(rows, f"{method}_position_m")
    return method

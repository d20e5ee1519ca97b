"""Terminus change over time: dated fronts → positions by every method that the given
geometry allows, change and rate.

One entry point, ``terminus_change``, for the Processing algorithm and the CLI. Fronts of
one glacier on one date are one position (their union). Every glacier × date gets a row;
a front that cannot be measured keeps its row with the reason in ``warning``. A front that
stops short of a box's sides is closed to them first (``geometry.close_front``). The change
since the first date and the rate to the previous date are those of ``method`` where it was
computed for the glacier, else of the first computed in ``METHODS`` order (with a note).
Positions grow downstream: a retreat is a negative change.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry
from shapely.ops import linemerge, unary_union

from ..errors import InputError
from . import auto_geometry, direction
from .geometry import Box, Measure, centreline_position, close_front, entry_edge
from .inputs import (
    DEFAULT_QUAL_FLAGS,
    EVERY_GLACIER,
    METHODS,
    Front,
    Layer,
    check_method,
    metric_crs,
    reproject,
    reproject_front,
    select,
)
from .methods import curvilinear_box, extrapolated_centreline_position, multi_centreline
from .table import Result, Row, add_change, rounded


@dataclass
class Reference:
    """What one glacier is measured with (map units), and what every row should know."""

    box: Box | None = None
    curvilinear: Box | None = None
    centreline: LineString | None = None
    width: float | None = None
    """Across the multi-centreline's lines: BOX_WIDTH, the automatic width or the box's."""
    warnings: list[str] = field(default_factory=list)

    @property
    def frame(self) -> Box | None:
        """The box that fronts are closed in and clipped to: the drawn one, else the
        curvilinear one."""
        return self.box or self.curvilinear

    def computed(self) -> tuple[str, ...]:
        has = {
            "box": self.box is not None,
            "curvilinear_box": self.curvilinear is not None,
            "centreline": self.centreline is not None,
            "extrapolated_centreline": self.centreline is not None,
            "multi_centreline": self.centreline is not None and bool(self.width),
        }
        return tuple(m for m in METHODS if has[m])


def _line(geometry: BaseGeometry, name: str) -> LineString:
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


def _references(layer: Layer | None, crs_wkt: str, glaciers: Sequence[str]) -> Callable:
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
    method: str = "box",
    box_width: float | None = None,
    glaciers: Layer | None = None,
) -> Result:
    """Positions of every glacier × date of ``fronts`` (a Layer of ``Front``s).

    ``boxes``, ``centrelines`` and ``glaciers`` (polygons, for the automatic centreline and
    box of a glacier that has neither) map glacier id (or ``EVERY_GLACIER``) to a geometry.
    ``box_width`` (metres) builds a curvilinear box along each centreline. All are
    reprojected into the first projected CRS among fronts, boxes, centrelines, glaciers.
    """
    method = check_method(method)
    if boxes is None and centrelines is None and glaciers is None:
        raise InputError(
            "Give a box layer (BOX, --box), a centreline layer (CENTRELINE, --centreline) or "
            "glacier polygons (GLACIERS, --glaciers): the position of a front is measured in "
            "a box or along a centreline, drawn or built from the glacier's polygon."
        )
    if box_width is not None and box_width <= 0:
        raise InputError(f"BOX_WIDTH {box_width:g} m is not a width. Give metres > 0, or none.")
    if not fronts.items:
        raise InputError(f"{fronts.name} holds no fronts. Choose a layer of dated fronts.")
    crs_wkt, metres = metric_crs(fronts, boxes, centrelines, glaciers)
    notes: list[str] = []
    used = [
        reproject_front(f, fronts.crs_wkt, crs_wkt) for f in select(fronts.items, qual_flags, notes)
    ]
    names = sorted({f.glacier_id for f in used})
    lookups = [_references(layer, crs_wkt, names) for layer in (boxes, centrelines, glaciers)]
    groups = _group(used)
    result = Result([], crs_wkt, notes)
    width = None if box_width is None else box_width / metres
    for glacier in names:
        keys = sorted(
            (k for k in groups if k[0] == glacier),
            key=lambda k: (k[1] is None, k[1] or datetime.date.min, k[2] or 0),
        )
        rows = [_row(glacier, k[1], groups[k]) for k in keys]
        result.rows.extend(rows)
        unions = [unary_union([f.geometry for f in groups[k]]) for k in keys]
        evidence = direction.flows([(f.geometry, f.flow_azimuth) for k in keys for f in groups[k]])
        given = [lookup(glacier) for lookup in lookups]
        reference = _reference(glacier, *given, width, unions, evidence, metres, result)
        _measure(rows, unions, reference, metres, result)
        _choose(rows, reference, method, result)
    return result


NEEDS = {
    "box": "a BOX",
    "curvilinear_box": "a centreline and BOX_WIDTH",
    "centreline": "a centreline",
    "extrapolated_centreline": "a centreline",
    "multi_centreline": "a centreline and a width (BOX_WIDTH or a BOX)",
}


def _record(result: Result, glacier: str, kind: str, origin: str, geometry, width, note=""):
    """A GEOMETRY feature: a centreline, or a box's outline (a layer of lines, to edit)."""
    line = geometry.exterior if hasattr(geometry, "exterior") else geometry
    result.geometry.append(
        {
            "glacier_id": glacier,
            "kind": kind,
            "origin": origin,
            "width_m": None if width is None else rounded(width),
            "note": note,
            "geometry": LineString(line.coords),
        }
    )


def _reference(
    glacier: str,
    box: BaseGeometry | None,
    line: BaseGeometry | None,
    polygon: BaseGeometry | None,
    width: float | None,
    fronts: Sequence[BaseGeometry],
    evidence: Sequence[direction.Flow],
    metres: float,
    result: Result,
) -> Reference | None:
    """The glacier's boxes and centreline: as drawn (the centreline turned round only on the
    fronts' evidence), or built from its polygon; None when it has nothing to be measured in."""
    reference, origin = Reference(width=width), "drawn"
    if box is None and line is None:
        if polygon is None:
            return None
        auto = auto_geometry.from_polygon(polygon, fronts, evidence)
        if isinstance(auto, str):
            reference.warnings.append(f"no automatic centreline: {auto}")
            result.notes.append(f"Glacier '{glacier}': {auto}.")
            return reference
        line, origin = auto.centreline, "automatic"
        reference.width = width or auto.width
    if line is not None:
        line, text = direction.orient_centreline(_line(line, glacier), evidence)
        reference.centreline = line
        if text:
            reference.warnings.append(text)
            result.notes.append(f"Glacier '{glacier}': {text}.")
        _record(result, glacier, "centreline", origin, line, None, text)
    if box is not None:
        try:
            if line is not None:
                reference.box = Box(box, entry_edge(box, line))
            else:
                index, text = direction.box_upstream_edge(Box(box).polygon, evidence)
                reference.box = Box(box, index)
                if text:
                    reference.warnings.append(text)
                    result.notes.append(f"Glacier '{glacier}': {text}.")
        except ValueError as err:
            raise InputError(f"The box of glacier '{glacier}': {err}. Keep one polygon.") from None
        reference.width = reference.width or reference.box.width
        _record(
            result, glacier, "box", "drawn", reference.box.polygon, reference.box.width * metres
        )
    curvilinear_width = width or (reference.width if origin == "automatic" else None)
    if line is not None and curvilinear_width:
        try:
            reference.curvilinear = curvilinear_box(line, curvilinear_width)
        except ValueError as err:
            raise InputError(f"The curvilinear box of glacier '{glacier}': {err}.") from None
        polygon = reference.curvilinear.polygon
        _record(result, glacier, "curvilinear_box", origin, polygon, curvilinear_width * metres)
    return reference


def _metres(row: Row, measure: Measure, metres: float, label: str = "") -> float | None:
    """The measured position in metres; its warning, if any, goes into the row."""
    if measure.warning:
        row.warn(f"{label}: {measure.warning}" if label else measure.warning)
    return None if measure.position is None else measure.position * metres


def _measure(
    rows: Sequence[Row],
    fronts: Sequence[BaseGeometry],
    reference: Reference | None,
    metres: float,
    result: Result,
) -> None:
    """Fill one glacier's ``rows`` (by date) from its ``fronts`` by every method it has."""
    glacier = rows[0].glacier_id
    for row in rows:
        if row.date is None:
            row.warn("no date: left out of the time series")
        for text in reference.warnings if reference else ():
            row.warn(text)
        if reference is None:
            row.warn(f"no box, centreline or glacier polygon for glacier '{glacier}': left out")
    if reference is None or not reference.computed():
        return
    for row, front in zip(rows, fronts, strict=True):
        closed = _boxes(row, front, reference, metres)
        line = reference.centreline
        if line is None:
            continue
        row.centreline_position_m = _metres(row, centreline_position(line, closed), metres)
        measure = extrapolated_centreline_position(line, closed, reference.frame)
        row.extrapolated_centreline_position_m = _metres(
            row, measure, metres, "extrapolated centreline"
        )
        if reference.width:
            measure, profile = multi_centreline(line, reference.width, closed)
            row.multi_centreline_position_m = _metres(row, measure, metres, "multi-centreline")
            result.profiles += [
                {
                    "glacier_id": glacier,
                    "date": row.date,
                    "offset_m": rounded(offset * metres),
                    "position_m": None if position is None else rounded(position * metres),
                }
                for offset, position in profile
            ]


def _boxes(row: Row, front: BaseGeometry, reference: Reference, metres: float) -> BaseGeometry:
    """Box and curvilinear box positions of the front closed to each box's sides; returns
    the front closed in ``reference.frame`` (what the centreline methods measure)."""
    closed = front
    for name, box in (("box", reference.box), ("curvilinear box", reference.curvilinear)):
        if box is None:
            continue
        shut, added = close_front(box, front)
        if added:
            row.warn(f"front extended {added * metres:.0f} m to the {name}'s sides")
        measure = box.measure(shut)
        key = name.replace(" ", "_")
        value = _metres(row, measure, metres, "" if name == "box" else name)
        setattr(row, f"{key}_position_m", value)
        if box is reference.frame:
            closed, row.extended_m = shut, added * metres
            row.cut, row.cut_box = measure.cut, key
    return closed


def _choose(rows: Sequence[Row], reference: Reference | None, method: str, result: Result):
    """Change and rate of the glacier's rows from ``method``, or the first one computed."""
    computed = reference.computed() if reference else ()
    if not computed:
        return
    glacier = rows[0].glacier_id
    chosen = method if method in computed else computed[0]
    if chosen != method:
        result.notes.append(
            f"Glacier '{glacier}': change and rate from {chosen} (METHOD {method} needs "
            f"{NEEDS[method]})."
        )
    result.computed[glacier], result.methods[glacier] = computed, chosen
    add_change(rows, f"{chosen}_position_m")

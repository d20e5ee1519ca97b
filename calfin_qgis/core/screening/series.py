"""``screen_fronts``: the one core entry point of screening (the algorithm, the CLI and the
batch): fronts in any layer -> a ``screen`` value per front, ``ok`` or the fired rules.

Fronts of one glacier, date and image are one front (their union, as the terminus change
takes them). A glacier with fewer than 3 such fronts is too short a series: its fronts are
``ok`` with a note. Fronts the review rejected are left out of every glacier's series; a
front a labeller already decided on (``screen`` = ``reviewed``) keeps that value.
"""

from __future__ import annotations

import datetime
import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from shapely.ops import linemerge, unary_union

from ..errors import InputError
from ..schema import REJECTED
from ..terminus.geometry import Box, centreline_position, entry_edge
from ..terminus.inputs import Layer, metric_crs, reproject
from .rules import EDGE_M, Series, fired_rules, sharp_turns

OK = "ok"
REVIEWED = "reviewed"
MIN_SERIES = 3
SAMPLES = 64
"""Points along a front where its distance to another front is taken."""


@dataclass(frozen=True)
class ScreenFront:
    """A front as screening reads it (geometry in its layer's CRS)."""

    glacier_id: str
    date: datetime.date | None
    image_id: str
    geometry: BaseGeometry
    sensor: str = ""
    uncertainty_m: float | None = None
    confidence: float | None = None
    status: str = ""
    screen: str = ""


@dataclass
class Screened:
    screens: list[str]
    """One value per input front, in input order."""
    notes: list[str] = field(default_factory=list)

    @property
    def suspects(self) -> int:
        return sum(s not in (OK, REVIEWED) for s in self.screens)


def screen_fronts(
    fronts: Layer,
    boxes: Layer | None = None,
    centrelines: Layer | None = None,
    areas: Layer | None = None,
) -> Screened:
    """Screen ``fronts`` (a Layer of ``ScreenFront``); boxes, centrelines and search polygons
    (``areas``) map glacier id to a geometry, as for ``terminus_change``. Everything is
    measured in the first projected CRS among the layers."""
    if not fronts.items:
        raise InputError(f"{fronts.name} holds no fronts. Choose a layer of dated fronts.")
    crs_wkt, metres = metric_crs(fronts, boxes, centrelines, areas)
    notes = _crs_notes(fronts, [boxes, centrelines, areas], crs_wkt)
    screens = [f.screen if f.screen == REVIEWED else OK for f in fronts.items]
    notes += _input_notes(fronts.items)
    groups: dict[str, dict[tuple, list[int]]] = defaultdict(lambda: defaultdict(list))
    for i, front in enumerate(fronts.items):
        if front.status != REJECTED and not front.geometry.is_empty:
            key = (front.date or datetime.date.max, front.date is None, front.image_id)
            groups[front.glacier_id][key].append(i)

    def geometry(i: int) -> BaseGeometry:
        item = fronts.items[i]
        return reproject(item.geometry, fronts.crs_wkt, crs_wkt)

    for glacier, members in sorted(groups.items()):
        keys = sorted(members)
        if len(keys) < MIN_SERIES:
            notes.append(
                f"Glacier '{glacier}': {len(keys)} front(s), too few for a series: left ok."
            )
            continue
        lines = [unary_union([geometry(i) for i in members[k]]) for k in keys]
        series = _series(
            [[fronts.items[i] for i in members[k]] for k in keys],
            [_in_metres(line, metres) for line in lines],
            _position_of(glacier, lines, boxes, centrelines, crs_wkt, metres),
            _reference(areas, glacier, crs_wkt, metres),
        )
        glacier_notes: list[str] = []
        for key, names in zip(keys, fired_rules(series, glacier_notes), strict=True):
            for i in members[key]:
                if names and screens[i] != REVIEWED:
                    screens[i] = ";".join(names)
        notes += [f"Glacier '{glacier}': {text}" for text in dict.fromkeys(glacier_notes)]
    return Screened(screens, notes)


def _input_notes(items: Sequence[ScreenFront]) -> list[str]:
    """Lines on the fronts that are left out or checked by fewer rules."""
    notes = []
    rejected = sum(f.status == REJECTED for f in items)
    if rejected:
        notes.append(f"{rejected} rejected front(s) left out of the series.")
    undated = sum(f.date is None for f in items)
    if undated:
        notes.append(
            f"{undated} front(s) without a date: checked by length, smoothness, edge and "
            "shortness only, not placed in time (jump, rate)."
        )
    missing = sum(f.uncertainty_m is None for f in items)
    if missing:
        notes.append(
            f"{missing} front(s) without uncertainty_m (hand-drawn or older layers): jump and "
            "rate compare them with their glacier's spread and the flow speed alone, and "
            "the uncertain rule leaves them out."
        )
    return notes


def _in_metres(geometry: BaseGeometry | None, metres: float) -> BaseGeometry | None:
    if geometry is None or metres == 1:
        return geometry
    return shapely.transform(geometry, lambda xy: xy * metres)


def _crs_notes(fronts: Layer, others: Sequence[Layer | None], crs_wkt: str) -> list[str]:
    """A line for every layer measured in another CRS than its own (mixed CRSs)."""
    from osgeo import osr

    target = osr.SpatialReference(wkt=crs_wkt)
    return [
        f"{layer.name} reprojected to {target.GetName()} to be measured with the others."
        for layer in (fronts, *others)
        if layer is not None and not osr.SpatialReference(wkt=layer.crs_wkt).IsSame(target)
    ]


def _reference(layer: Layer | None, glacier: str, crs_wkt: str, metres: float):
    """The glacier's geometry of a box, centreline or search-polygon layer (in metres)."""
    from ..terminus.inputs import EVERY_GLACIER

    if layer is None:
        return None
    geometry = layer.items.get(glacier, layer.items.get(EVERY_GLACIER))
    if geometry is None:
        return None
    return _in_metres(reproject(geometry, layer.crs_wkt, crs_wkt), metres)


def _position_of(glacier, lines, boxes, centrelines, crs_wkt, metres) -> list[float | None]:
    """Each front's position in the glacier's box (else along its centreline), metres."""
    box = _reference(boxes, glacier, crs_wkt, metres)
    line = _reference(centrelines, glacier, crs_wkt, metres)
    if line is not None and line.geom_type != "LineString":
        line = linemerge(line) if line.geom_type == "MultiLineString" else None
        line = line if line is not None and line.geom_type == "LineString" else None
    lines = [_in_metres(front, metres) for front in lines]
    if box is not None:
        try:
            frame = Box(box, entry_edge(box, line) if line is not None else 0)
        except ValueError:
            frame = None
        if frame is not None:
            return [frame.measure(front).position for front in lines]
    if line is not None:
        return [centreline_position(line, front).position for front in lines]
    return [None] * len(lines)


def _samples(line: BaseGeometry) -> np.ndarray:
    """SAMPLES points spread along every part of a front (by length)."""
    parts = [p for p in shapely.get_parts(line) if p.length > 0]
    total = sum(p.length for p in parts)
    points = [
        shapely.line_interpolate_point(
            p, np.linspace(0, p.length, max(2, round(SAMPLES * p.length / total)))
        )
        for p in parts
    ]
    return np.concatenate(points) if points else np.empty(0, dtype=object)


def _front_distance(a: np.ndarray, b: np.ndarray, line_a, line_b) -> float:
    """Mean distance between two fronts: of a's points to b and b's points to a."""
    return 0.5 * float(shapely.distance(a, line_b).mean() + shapely.distance(b, line_a).mean())


def _series(members, lines, positions, area) -> Series:
    """The rules' view of one glacier: per front (members: the features of that front)."""
    samples = [_samples(line) for line in lines]
    boundary = area.boundary if area is not None else None

    def near_edge(line: BaseGeometry) -> float | None:
        if boundary is None or line.length == 0:
            return None
        return line.intersection(boundary.buffer(EDGE_M)).length / line.length

    @functools.cache  # the jump rule's two passes ask for the same pairs
    def distance(i: int, j: int) -> float:
        if positions[i] is not None and positions[j] is not None:
            return abs(positions[i] - positions[j])
        return _front_distance(samples[i], samples[j], lines[i], lines[j])

    def uncertainty(features) -> float | None:
        known = [f.uncertainty_m for f in features if f.uncertainty_m is not None]
        return max(known) if known else None

    return Series(
        days=[f[0].date.toordinal() if f[0].date else None for f in members],
        sensors=[_sensor(f[0]) for f in members],
        lengths=np.array([line.length for line in lines]),
        sharp_turns=np.array(
            [
                sum(sharp_turns(shapely.get_coordinates(p)) for p in shapely.get_parts(line))
                for line in lines
            ]
        ),
        edge_shares=[near_edge(line) for line in lines],
        uncertainty=[uncertainty(f) for f in members],
        confidence=[
            min((f.confidence for f in fs if f.confidence is not None), default=None)
            for fs in members
        ],
        distance=distance,
    )


def _sensor(front: ScreenFront) -> str:
    """The front's sensor, or the one its Landsat/Sentinel-2 image id starts with."""
    if front.sensor:
        return front.sensor
    prefix = front.image_id[:4].upper()
    return prefix if prefix[:2] in ("LC", "LE", "LT", "LM", "LO", "S2") else ""

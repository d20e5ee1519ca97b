"""The methods that follow a centreline (Lea, Mair & Rea 2014; MaQiT, Lea 2018): the
curvilinear box built along it, the extrapolated centreline and the multi-centreline.

All in map units on a centreline that runs from upstream to the ocean.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from .geometry import Box, Measure, centreline_position

MULTI_LINES = 11
"""Parallel lines of the multi-centreline, evenly spread across the box width."""
FRONT_POINTS = 50
"""Points along a front for the extrapolated centreline."""
IDW_SAMPLES = 21
"""Centreline points each front point's distance is interpolated from."""
MITRE_LIMIT = 10.0


def _offset(line: LineString, distance: float) -> LineString:
    """``line`` moved ``distance`` to its left (negative: right), mitred at the bends, in the
    same direction."""
    if distance == 0:
        return line
    moved = line.offset_curve(distance, join_style="mitre", mitre_limit=MITRE_LIMIT)
    parts = list(shapely.get_parts(moved))
    return max(parts, key=lambda p: p.length) if parts else LineString()


def curvilinear_box(centreline: LineString, width: float) -> Box:
    """The box of ``width`` along ``centreline``: its two sides are the centreline moved
    half the width either way (mitred bends), its upstream edge the straight line across its
    start, its downstream edge the one across its end.

    With mitred bends the box's area is exactly width × centreline length, so a front square
    to the centreline lies at its distance along the centreline (Lea 2018's curvilinear box).
    Raises ValueError where the width is too large for the centreline's bends (the box crosses
    itself, or its inner side folds, so that its area is not width × length).
    """
    left, right = _offset(centreline, width / 2), _offset(centreline, -width / 2)
    if left.is_empty or right.is_empty:
        raise ValueError(f"a box {width:g} wide does not fit along the centreline")
    ring = [right.coords[0], *left.coords, *reversed(right.coords)]
    polygon = Polygon(ring)
    area = width * centreline.length
    if not polygon.is_valid or abs(polygon.area - area) > 0.01 * area:
        raise ValueError(
            f"a box {width:g} wide crosses itself at the centreline's bends: give a smaller "
            "BOX_WIDTH or smooth the centreline's sharpest bends"
        )
    return Box(polygon, upstream_index=0, downstream_index=len(left.coords), width=width)


def _along(line: LineString, point: Point) -> float:
    """Distance along ``line`` of the foot of ``point``; beyond the ends, along the end
    segments extended (the centreline 'extrapolated')."""
    s = line.project(point)
    coords = np.asarray(line.coords)
    if s <= 0:
        tangent = coords[1] - coords[0]
        return min(
            0.0,
            float(np.dot(np.subtract(point.coords[0], coords[0]), tangent))
            / float(np.hypot(*tangent)),
        )
    if s >= line.length:
        tangent = coords[-1] - coords[-2]
        beyond = float(np.dot(np.subtract(point.coords[0], coords[-1]), tangent))
        return line.length + max(0.0, beyond / float(np.hypot(*tangent)))
    return float(s)


def _point_at(line: LineString, s: np.ndarray) -> np.ndarray:
    """Points at distances ``s`` along ``line``, continued straight beyond its ends."""
    coords = np.asarray(line.coords)
    inside = shapely.get_coordinates(line.interpolate(np.clip(s, 0, line.length)))
    start = (coords[1] - coords[0]) / np.hypot(*(coords[1] - coords[0]))
    end = (coords[-1] - coords[-2]) / np.hypot(*(coords[-1] - coords[-2]))
    before = np.minimum(s, 0)[:, None] * start
    after = np.maximum(s - line.length, 0)[:, None] * end
    return inside + before + after


def idw_distance(line: LineString, point: Point) -> float:
    """The centreline distance at ``point``: inverse-distance-weighted (power 2) mean of the
    distances of the centreline's points within the point's own distance from the centreline,
    either way along it from its foot. Exact (the foot's distance) where the centreline is
    straight there; across a bend it blends both limbs."""
    s = _along(line, point)
    foot = _point_at(line, np.array([s]))[0]
    reach = float(np.hypot(*(np.asarray(point.coords[0]) - foot)))
    if reach <= 1e-9 * max(line.length, 1.0):
        return s
    samples = s + np.linspace(-reach, reach, IDW_SAMPLES)
    gaps = np.hypot(*(_point_at(line, samples) - np.asarray(point.coords[0])).T)
    weights = 1 / np.maximum(gaps, 1e-12) ** 2
    return float(np.sum(weights * samples) / np.sum(weights))


def extrapolated_centreline_position(
    line: LineString, front: BaseGeometry, box: Box | None = None
) -> Measure:
    """Mean ``idw_distance`` of ``FRONT_POINTS`` points evenly along the front (its part
    inside ``box`` where there is one)."""
    part = front.intersection(box.polygon) if box is not None else front
    pieces = [p for p in shapely.get_parts(part) if p.geom_type == "LineString" and p.length]
    if not pieces:
        return Measure(
            None, "no part of the front lies in the box: extrapolated centreline left out"
        )
    total = sum(p.length for p in pieces)
    marks = (np.arange(FRONT_POINTS) + 0.5) / FRONT_POINTS * total
    points, start = [], 0.0
    for piece in pieces:
        here = marks[(marks >= start) & (marks < start + piece.length)] - start
        points += list(shapely.get_parts(piece.interpolate(here)))
        start += piece.length
    return Measure(float(np.mean([idw_distance(line, p) for p in points])))


def offsets(width: float, count: int = MULTI_LINES) -> np.ndarray:
    """Offsets (left positive) of the parallel lines, evenly spread inside the width."""
    return ((np.arange(count) + 0.5) / count - 0.5) * width


def multi_centreline(
    line: LineString, width: float, front: BaseGeometry
) -> tuple[Measure, list[tuple[float, float | None]]]:
    """Mean of the centreline positions along ``MULTI_LINES`` lines parallel to ``line``
    across ``width``, each measured from its own start; and the profile (offset, position)."""
    profile = []
    for distance in offsets(width):
        measure = centreline_position(_offset(line, float(distance)), front)
        profile.append((float(distance), measure.position))
    crossed = [p for _, p in profile if p is not None]
    if not crossed:
        return Measure(
            None, "front crosses none of the multi-centreline's lines: left out"
        ), profile
    warning = ""
    if len(crossed) < len(profile):
        warning = (
            f"front crosses {len(crossed)} of the multi-centreline's {len(profile)} lines: "
            "their mean is used"
        )
    return Measure(float(np.mean(crossed)), warning), profile

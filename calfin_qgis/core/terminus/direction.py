"""Which end of a centreline or box is upstream: from evidence, never from distances.

The evidence is the ice side that detected fronts record (``flow_azimuth``: the direction
ice → ocean across the front). Hand-drawn fronts carry none: then the drawing is followed
(a centreline from upstream to the ocean, a box starting with its upstream edge). A drawing
is turned round only when the fronts' ice side contradicts it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry


@dataclass(frozen=True)
class Flow:
    """One front's evidence: where it lies and the unit vector ice → ocean across it."""

    where: BaseGeometry
    vector: np.ndarray


def flows(fronts: Sequence[tuple[BaseGeometry, float | None]]) -> list[Flow]:
    """The evidence of (geometry, flow_azimuth) pairs: those with an azimuth."""
    return [
        Flow(geometry, np.array([np.sin(np.radians(a)), np.cos(np.radians(a))]))
        for geometry, a in fronts
        if a is not None and not geometry.is_empty
    ]


def mean_flow(evidence: Sequence[Flow]) -> np.ndarray | None:
    """The unit mean of the flow vectors (None without evidence or when they cancel)."""
    if not evidence:
        return None
    total = np.sum([f.vector for f in evidence], axis=0)
    norm = float(np.hypot(*total))
    return total / norm if norm > 1e-9 else None


def _tangent(line: LineString, where: BaseGeometry) -> np.ndarray:
    """The line's direction where the front crosses it (or nearest the front's centre)."""
    crossing = line.intersection(where)
    point = crossing if not crossing.is_empty else where.centroid
    s = min(line.project(Point(xy)) for xy in shapely.get_coordinates(point))
    step = min(line.length / 100, 1.0) or 1e-9
    a, b = line.interpolate(max(s - step, 0)), line.interpolate(min(s + step, line.length))
    return np.subtract(b.coords[0], a.coords[0])


def orient_centreline(line: LineString, evidence: Sequence[Flow]) -> tuple[LineString, str]:
    """``line`` as drawn, or reversed when most fronts' ice side says its end is upstream;
    and a warning whenever any front's ice side contradicts the line's direction."""
    if not evidence:
        return line, ""
    against = sum(float(np.dot(_tangent(line, f.where), f.vector)) < 0 for f in evidence)
    if against * 2 > len(evidence):
        return line.reverse(), (
            f"centreline reversed: the ice side of {against} of {len(evidence)} detected "
            "front(s) (flow_azimuth) shows it was drawn from the ocean"
        )
    if against:
        return line, (
            f"the ice side of {against} of {len(evidence)} detected front(s) contradicts the "
            "centreline's direction: kept as drawn"
        )
    return line, ""


def box_upstream_edge(polygon: Polygon, evidence: Sequence[Flow]) -> tuple[int, str]:
    """The index of a box's upstream edge: its first edge, unless the fronts' ice side puts
    that edge downstream of the box's centre; then the edge furthest upstream."""
    flow = mean_flow(evidence)
    if flow is None:
        return 0, ""
    coords = np.asarray(polygon.exterior.coords)
    middles = (coords[:-1] + coords[1:]) / 2 - np.asarray(polygon.centroid.coords[0])
    along = middles @ flow
    upstream = int(np.argmin(along))
    if upstream == 0 or along[0] <= 0:
        return 0, ""
    return upstream, (
        f"the box's first edge lies downstream by the detected fronts' ice side "
        f"(flow_azimuth): its edge {upstream + 1} is taken as the upstream edge"
    )

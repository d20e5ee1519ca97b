"""A centreline and a box width from a glacier polygon and its fronts, for users who draw
nothing: the polygon's axis through the fronts, oriented by their ice side.

The axis runs along the fronts' mean flow direction (their ``flow_azimuth``: square to the
fronts, ice → ocean). Where the polygon outlines the fjord (its cut through the fronts is
at most ``LOOSE`` times the fronts' span), it is cut across the axis at even steps from one
box width upstream of the furthest-upstream front to one width beyond the furthest-downstream
one; the centreline joins the middles of those cuts (so it follows the polygon where it
bends) and the width is the median length of the cuts that the fronts span. A looser search
polygon (such as the Loebel polygons) gives a straight centreline through the middle of the
fronts' span, that span as the width. Either way the result goes to the GEOMETRY layer to
be checked and edited: oblique or curved fronts tilt the axis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from .direction import Flow, mean_flow

STEPS = 20
"""Cuts across the polygon along the fronts' range (plus one width either side)."""
LOOSE = 1.5
"""A polygon wider than this many times the fronts' span is a search area, not the fjord's
outline: then the centreline is the fronts' own axis and the width their span."""


@dataclass(frozen=True)
class AutoGeometry:
    centreline: LineString
    width: float


def _cut(polygon: BaseGeometry, centre: np.ndarray, across: np.ndarray, reach: float):
    """The piece of the polygon's cross-section through ``centre`` that lies nearest it."""
    line = LineString([centre - across * reach, centre + across * reach])
    pieces = [p for p in shapely.get_parts(line.intersection(polygon)) if p.length > 0]
    if not pieces:
        return None
    return min(pieces, key=lambda p: p.distance(Point(centre)))


def from_polygon(
    polygon: BaseGeometry, fronts: Sequence[BaseGeometry], evidence: Sequence[Flow]
) -> AutoGeometry | str:
    """The automatic centreline and width, or the reason there is none (a warning)."""
    flow = mean_flow(evidence)
    if flow is None:
        return (
            "no front records its ice side (flow_azimuth: hand-drawn fronts do not), so the "
            "glacier polygon cannot tell which way the ice flows: draw a centreline or a box"
        )
    across = np.array([flow[1], -flow[0]])
    parts = [shapely.get_coordinates(f) for f in fronts if not f.is_empty]
    points = np.vstack(parts)
    # the fronts' span across the flow (they reach from wall to wall): the median of their ends
    low, high = np.median([[(p @ across).min(), (p @ across).max()] for p in parts], axis=0)
    mean_along = float((points @ flow).mean())
    centre = flow * mean_along + across * (low + high) / 2
    along = points @ flow - mean_along
    reach = 2 * float(np.hypot(*np.subtract(*np.reshape(polygon.bounds, (2, 2)))))
    first = _cut(polygon, centre, across, reach)
    if first is None:
        return "the fronts lie outside the glacier polygon: check the polygon or draw a box"
    if first.length > LOOSE * (high - low):
        # a search area much wider than the fjord: the fronts' own axis and span
        width = float(high - low)
        ends = [centre + t * flow for t in (along.min() - width, along.max() + width)]
        return AutoGeometry(LineString(ends), width)
    steps = np.linspace(along.min() - first.length, along.max() + first.length, STEPS + 1)
    cuts = [_cut(polygon, centre + t * flow, across, reach) for t in steps]
    middles = _fill(
        [None if c is None else np.asarray(c.interpolate(0.5, True).coords[0]) for c in cuts],
        steps,
        flow,
        centre,
    )
    spanned = [
        c.length
        for c, t in zip(cuts, steps, strict=True)
        if c is not None and along.min() <= t <= along.max()
    ]
    width = float(np.median(spanned)) if spanned else first.length
    return AutoGeometry(LineString(middles).simplify(width / 4), width)


def _fill(
    middles: list, steps: np.ndarray, flow: np.ndarray, centre: np.ndarray
) -> list[np.ndarray]:
    """Where the polygon ends (no cut), the centreline goes on straight along the flow from
    the nearest middle found (from the fronts' centre where none is)."""
    known = [i for i, m in enumerate(middles) if m is not None]
    if not known:
        return [centre + t * flow for t in steps]
    out = []
    for i, m in enumerate(middles):
        if m is None:
            j = min(known, key=lambda k: abs(k - i))
            m = middles[j] + (steps[i] - steps[j]) * flow
        out.append(m)
    return out

"""Where a calving front lies in a box or along a centreline (plain shapely, map units).

Box method (rectilinear box, Moon & Joughin 2008; curvilinear box, Lea 2018): the terminus
position is the area of the box between its upstream edge and the front, divided by the
box's mean width. Centreline method: the distance along the centreline, drawn from upstream
to the ocean, to its first crossing with the front.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import polygonize, unary_union


@dataclass(frozen=True)
class Measure:
    """A front's position (map units; None where it cannot be measured) and why not."""

    position: float | None
    warning: str = ""
    cut: BaseGeometry | None = None
    """Box method: the part of the box between the upstream edge and the front."""


def _segments(ring) -> list[LineString]:
    coords = list(ring.coords)
    return [LineString(pair) for pair in zip(coords[:-1], coords[1:], strict=True)]


class Box:
    """A box polygon with its upstream edge and mean width.

    The upstream edge is the box's first edge (its first two vertices) unless a centreline
    is given: then the edge where the centreline first enters the box (or, for a centreline
    that starts inside the box, the edge nearest its start). The downstream edge is the edge
    halfway round the outline from the upstream one; the box's length is the mean length of
    its two sides between them, and its mean width its area divided by that length (exactly
    the width of a rectangle). Holes in the polygon are ignored.
    """

    def __init__(self, polygon: Polygon, centreline: LineString | None = None) -> None:
        if polygon.geom_type == "MultiPolygon" and len(polygon.geoms) == 1:
            polygon = polygon.geoms[0]
        if polygon.geom_type != "Polygon" or polygon.is_empty:
            raise ValueError(f"a box is one polygon, not a {polygon.geom_type}")
        self.polygon = Polygon(polygon.exterior)
        self.edges = _segments(polygon.exterior)
        self.upstream_index = 0 if centreline is None else self._entry_edge(centreline)
        self.upstream = self.edges[self.upstream_index]
        perimeter = self.polygon.exterior.length
        downstream = self._opposite_edge(perimeter)
        length = (perimeter - self.upstream.length - downstream.length) / 2
        self.width = self.polygon.area / length if length > 0 else 0.0

    def _entry_edge(self, centreline: LineString) -> int:
        start = Point(centreline.coords[0])
        target = start
        if not self.polygon.covers(start):
            crossings = centreline.intersection(self.polygon.exterior)
            points = [Point(xy) for xy in shapely.get_coordinates(crossings)]
            if points:
                target = min(points, key=centreline.project)
        distances = [edge.distance(target) for edge in self.edges]
        return distances.index(min(distances))

    def _opposite_edge(self, perimeter: float) -> LineString:
        before = sum(edge.length for edge in self.edges[: self.upstream_index])
        halfway = (before + self.upstream.length / 2 + perimeter / 2) % perimeter
        travelled = 0.0
        for edge in self.edges:
            if travelled + edge.length >= halfway:
                return edge
            travelled += edge.length
        return self.edges[-1]

    def measure(self, front: BaseGeometry) -> Measure:
        """The box-averaged position of ``front`` (lines), in map units from the upstream edge."""
        if self.width <= 0:
            return Measure(None, "the box has no width: draw it as a polygon with 4+ corners")
        # The whole front, not its clipped copy: unary_union nodes it with the outline
        # exactly, where clipped ends would miss a reprojected outline by a rounding error.
        lines = [p for p in shapely.get_parts(front) if p.geom_type.endswith("LineString")]
        faces = [
            face
            for face in polygonize(unary_union([self.polygon.exterior, *lines]))
            if self.polygon.contains(face.representative_point())
        ]
        inside = front.intersection(self.polygon).length > 0
        tolerance = 1e-9 * max(self.width, 1.0)
        upstream = [f for f in faces if f.boundary.intersection(self.upstream).length > tolerance]
        cut = unary_union(upstream) if upstream else None
        if len(faces) < 2 or cut is None or cut.area >= self.polygon.area * (1 - 1e-9):
            reason = "does not cut across the box" if inside else "lies outside the box"
            return Measure(
                None,
                f"front {reason} (it must reach both of its sides): left out. Check "
                "that the box covers where the fronts lie, or edit the front.",
            )
        warnings = []
        if front.intersects(self.upstream):
            warnings.append(
                "the front reaches the box's upstream edge: start the box further upstream"
            )
        if len(faces) > 2:
            warnings.append(
                f"the front cuts the box into {len(faces)} pieces: the area up to its first "
                "crossing from the upstream edge is used"
            )
        return Measure(cut.area / self.width, "; ".join(warnings), cut)


def centreline_position(centreline: LineString, front: BaseGeometry) -> Measure:
    """Distance along ``centreline`` from its start to its first crossing with ``front``."""
    crossing = centreline.intersection(front)
    if crossing.is_empty:
        return Measure(None, "front does not cross the centreline: left out")
    points = shapely.points(shapely.get_coordinates(crossing))
    return Measure(float(min(centreline.project(point) for point in points)))


def drawn_backwards(centreline: LineString, fronts: BaseGeometry) -> bool:
    """Whether ``centreline`` seems drawn from the ocean: its start lies less than half as far
    from the fronts as its end.

    A centreline runs from the glacier, well upstream of every front, to the fjord just
    beyond them; one that starts beside the fronts and ends far from them runs backwards.
    """
    if fronts.is_empty:
        return False
    start, end = Point(centreline.coords[0]), Point(centreline.coords[-1])
    return start.distance(fronts) < end.distance(fronts) / 2

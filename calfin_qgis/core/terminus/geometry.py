"""Where a calving front lies in a box or along a centreline (plain shapely, map units).

Box method (rectilinear box, Moon & Joughin 2008; curvilinear box, Lea 2018): the terminus
position is the area of the box between its upstream edge and the front, divided by the
box's width. Centreline method: the distance along the centreline, drawn from upstream
to the ocean, to its first crossing with the front. A front that ends inside a box is first
closed to the box's sides (``close_front``), as MaQiT does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import linemerge, polygonize, unary_union


@dataclass(frozen=True)
class Measure:
    """A front's position (map units; None where it cannot be measured) and why not."""

    position: float | None
    warning: str = ""
    cut: BaseGeometry | None = None
    """Box methods: the part of the box between the upstream edge and the front."""


def _segments(ring) -> list[LineString]:
    coords = list(ring.coords)
    return [LineString(pair) for pair in zip(coords[:-1], coords[1:], strict=True)]


def _one_polygon(polygon: BaseGeometry) -> Polygon:
    if polygon.geom_type == "MultiPolygon" and len(polygon.geoms) == 1:
        polygon = polygon.geoms[0]
    if polygon.geom_type != "Polygon" or polygon.is_empty:
        raise ValueError(f"a box is one polygon, not a {polygon.geom_type}")
    return Polygon(polygon.exterior)


def entry_edge(polygon: BaseGeometry, centreline: LineString) -> int:
    """Index of the edge where ``centreline`` first enters the box (for a centreline that
    starts inside it, the edge nearest its start)."""
    polygon = _one_polygon(polygon)
    start = Point(centreline.coords[0])
    target = start
    if not polygon.covers(start):
        crossings = centreline.intersection(polygon.exterior)
        points = [Point(xy) for xy in shapely.get_coordinates(crossings)]
        if points:
            target = min(points, key=centreline.project)
    distances = [edge.distance(target) for edge in _segments(polygon.exterior)]
    return distances.index(min(distances))


class Box:
    """A box polygon with its upstream edge, downstream edge, sides and width.

    The upstream edge is edge ``upstream_index`` (by default the first one: its first two
    vertices); the downstream edge is ``downstream_index`` or else the edge halfway round the
    outline. The sides are the edges between them. The width is ``width`` where the box was
    built with one (a curvilinear box), else the area divided by the mean length of the two
    sides (exactly the width of a rectangle). Holes in the polygon are ignored.
    """

    def __init__(
        self,
        polygon: BaseGeometry,
        upstream_index: int = 0,
        downstream_index: int | None = None,
        width: float | None = None,
    ) -> None:
        self.polygon = _one_polygon(polygon)
        self.edges = _segments(self.polygon.exterior)
        self.upstream_index = upstream_index
        self.upstream = self.edges[upstream_index]
        perimeter = self.polygon.exterior.length
        if downstream_index is None:
            downstream_index = self._opposite_index(perimeter)
        self.downstream = self.edges[downstream_index]
        ends = {upstream_index, downstream_index}
        self.sides = MultiLineString([e for i, e in enumerate(self.edges) if i not in ends])
        length = (perimeter - self.upstream.length - self.downstream.length) / 2
        self.width = width or (self.polygon.area / length if length > 0 else 0.0)

    def _opposite_index(self, perimeter: float) -> int:
        before = sum(edge.length for edge in self.edges[: self.upstream_index])
        halfway = (before + self.upstream.length / 2 + perimeter / 2) % perimeter
        travelled = 0.0
        for i, edge in enumerate(self.edges):
            if travelled + edge.length >= halfway:
                return i
            travelled += edge.length
        return len(self.edges) - 1

    def measure(self, front: BaseGeometry) -> Measure:
        """The box-averaged position of ``front`` (lines), in map units from the upstream edge."""
        if self.width <= 0:
            return Measure(None, "the box has no width: draw it as a polygon with 4+ corners")
        faces = self._faces(front)
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

    def _faces(self, front: BaseGeometry) -> list[Polygon]:
        # The whole front, not its clipped copy: unary_union nodes it with the outline
        # exactly, where clipped ends would miss a reprojected outline by a rounding error.
        lines = [p for p in shapely.get_parts(front) if p.geom_type.endswith("LineString")]
        return [
            face
            for face in polygonize(unary_union([self.polygon.exterior, *lines]))
            if self.polygon.contains(face.representative_point())
        ]

    def cuts_across(self, front: BaseGeometry) -> bool:
        return self.measure(front).position is not None


def _longest_part(front: BaseGeometry, polygon: Polygon) -> LineString | None:
    inside = front.intersection(polygon)
    parts = [p for p in shapely.get_parts(inside) if p.geom_type == "LineString" and p.length]
    if not parts:
        return None
    merged = linemerge(parts) if len(parts) > 1 else parts[0]
    return max(shapely.get_parts(merged), key=lambda p: p.length)


def _extension(box: Box, line: LineString, at_end: bool) -> LineString | None:
    """The line from one end of ``line`` to the box's sides: along the end's direction when
    that reaches a side first, else the shortest line to a side; None at a side already."""
    end = Point(line.coords[-1] if at_end else line.coords[0])
    tolerance = 1e-6 * max(box.width, 1.0)
    if box.sides.distance(end) <= tolerance:
        return None
    back = min(line.length, max(box.width / 4, 1e-9))
    behind = line.interpolate(line.length - back if at_end else back)
    direction = np.subtract(end.coords[0], behind.coords[0])
    norm = float(np.hypot(*direction))
    if norm > 0:
        reach = 2 * float(np.hypot(*np.subtract(*np.reshape(box.polygon.bounds, (2, 2)))))
        ray = LineString([end, Point(np.add(end.coords[0], direction / norm * reach))])
        exits = [
            Point(xy) for xy in shapely.get_coordinates(ray.intersection(box.polygon.exterior))
        ]
        exits = [p for p in exits if p.distance(end) > tolerance]
        if exits:
            hit = min(exits, key=end.distance)
            ends = unary_union([box.upstream, box.downstream])
            if box.sides.distance(hit) <= tolerance and ends.distance(hit) > tolerance:
                return LineString([end, hit])
    return shapely.shortest_line(end, box.sides)


def close_front(box: Box, front: BaseGeometry) -> tuple[BaseGeometry, float]:
    """``front`` closed to the box's sides, as MaQiT closes it, and the added length.

    A front that cuts across the box is returned as it is (0). Otherwise its longest piece
    inside the box is extended from each end that stops short of a side: along the end's
    direction, or by the shortest line where that direction meets the upstream or downstream
    edge first; the front is returned with the extensions added. A front that does not
    enter the box is returned as it is.
    """
    if front.is_empty or box.width <= 0 or box.cuts_across(front):
        return front, 0.0
    piece = _longest_part(front, box.polygon)
    if piece is None:
        return front, 0.0
    extensions = [_extension(box, piece, end) for end in (False, True)]
    extensions = [e for e in extensions if e is not None]
    added = sum(line.length for line in extensions)
    # the whole front, whose crossings of the outline are exact, plus the extensions
    reach = [LineString([e.coords[0], _beyond(e, box.width)]) for e in extensions]
    return unary_union([front, *reach]), added


def _beyond(extension: LineString, width: float) -> tuple[float, float]:
    """The extension's end carried a millionth of the box width past the side, so that the
    closed front crosses the outline (an end computed onto it misses it by rounding)."""
    start, end = np.asarray(extension.coords[0]), np.asarray(extension.coords[-1])
    step = end - start
    return tuple(end + step / max(float(np.hypot(*step)), 1e-12) * 1e-6 * width)


def centreline_position(centreline: LineString, front: BaseGeometry) -> Measure:
    """Distance along ``centreline`` from its start to its first crossing with ``front``."""
    crossing = centreline.intersection(front)
    if crossing.is_empty:
        return Measure(None, "front does not cross the centreline: left out")
    points = shapely.points(shapely.get_coordinates(crossing))
    return Measure(float(min(centreline.project(point) for point in points)))

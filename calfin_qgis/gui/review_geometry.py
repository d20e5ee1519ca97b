"""Trimming a front: cut it at a point or by a drawn line and keep one part (shapely only)."""

from __future__ import annotations

import shapely
from shapely.geometry import LineString, MultiLineString, Point
from shapely.ops import linemerge, split, substring


def cut_parts(line: LineString, cutter) -> list[LineString]:
    """Parts of ``line`` cut at the point nearest a Point ``cutter``, or where a line crosses."""
    if isinstance(cutter, Point):
        at = line.project(cutter)
        if at <= 0 or at >= line.length:
            return [line]
        return [substring(line, 0, at), substring(line, at, line.length)]
    parts = [p for p in shapely.get_parts(split(line, cutter)) if p.length > 0]
    return parts or [line]


def keep_part(parts: list[LineString], near: Point | None = None) -> LineString:
    """The part nearest ``near`` (the clicked one), or the longest when no point is given."""
    if near is None:
        return max(parts, key=lambda p: p.length)
    return min(parts, key=lambda p: (p.distance(near), -p.length))


def trim(line, cutter, near: Point | None = None) -> LineString | MultiLineString:
    """Cut ``line`` by ``cutter`` and keep the part nearest ``near`` (or the longest).

    A front in several disjoint pieces: only the piece nearest the cut is trimmed, the
    others stay.
    """
    if isinstance(line, MultiLineString):
        merged = linemerge(line)
        if isinstance(merged, MultiLineString):
            pieces = list(merged.geoms)
            target = min(pieces, key=lambda piece: piece.distance(cutter))
            others = [piece for piece in pieces if piece is not target]
            return MultiLineString([*others, trim(target, cutter, near)])
        line = merged
    return keep_part(cut_parts(line, cutter), near)

"""Ice masks of fronts closed by their glacier polygon, and what they give: the ice/ocean
mask IoU CALFIN reports (0.9793 on its test set) and the bias between two fronts.

A front closes its glacier polygon into pieces; the ice is the piece upstream, found from a
reference mask (CALFIN's ``_closed_`` polygons: the piece holding its far-upstream part) or
from the flow direction (the piece at the polygon's upstream end). Front ends are joined
to the nearest point of the polygon's edge, as a front stops near the fjord walls. The bias is the
mean distance from our front to theirs, counted negative where ours lies inside their ice
(behind their front) and positive where it lies beyond (ahead).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points, polygonize, unary_union

from ..errors import InputError
from .metrics import mask_iou
from .scoring import pair_grid

FLOW_VECTORS = {"up": (0.0, 1.0), "right": (1.0, 0.0), "down": (0.0, -1.0), "left": (-1.0, 0.0)}
MAX_MASK_CELLS = 25_000_000


def flow_vector(flow) -> np.ndarray | None:
    """Unit vector of a map flow direction: up/down/left/right (north-up) or an azimuth in
    degrees clockwise from north; None for none."""
    if flow in (None, ""):
        return None
    if str(flow).strip().lower() in FLOW_VECTORS:
        return np.array(FLOW_VECTORS[str(flow).strip().lower()])
    try:
        angle = math.radians(float(flow))
    except ValueError:
        raise InputError(
            f"Flow direction '{flow}' is not understood. Give up, down, left, right or an "
            "azimuth in degrees (0 = the ice flows north, 90 = east)."
        ) from None
    return np.array([math.sin(angle), math.cos(angle)])


def _closed_to(line: LineString, edge, overshoot: float) -> LineString:
    """The line with each end joined to the nearest point of ``edge`` (the polygon's), a
    little past it so that the union nodes the crossing."""
    xy = shapely.get_coordinates(line)
    if len(xy) < 2:
        return line
    ends = []
    for point in (xy[0], xy[-1]):
        near = np.array(nearest_points(edge, Point(point))[0].coords[0])
        step = near - point
        norm = np.hypot(*step)
        ends.append(near + step / norm * overshoot if norm else near)
    return LineString([ends[0], *map(tuple, xy), ends[1]])


def _size(geometry) -> float:
    minx, miny, maxx, maxy = geometry.bounds
    return math.hypot(maxx - minx, maxy - miny)


def ice_mask(lines, domain: BaseGeometry, anchor: Point) -> BaseGeometry | None:
    """The piece of ``domain`` that ``lines`` (their ends joined to its edge) cut off on the side of
    ``anchor``; None when the lines do not cut it."""
    parts = [p for line in lines for p in shapely.get_parts(line) if not p.is_empty]
    if not parts:
        return None
    edge = domain.boundary
    overshoot = 1e-3 * _size(domain)
    cut = unary_union([edge, *(_closed_to(p, edge, overshoot) for p in parts)])
    pieces = [p for p in polygonize(cut) if domain.contains(p.representative_point())]
    if len(pieces) < 2:
        return None
    return min(pieces, key=lambda piece: piece.distance(anchor))


def upstream_anchor(domain, flow: np.ndarray | None, ref_ice=None, ref_front=()) -> Point | None:
    """A point deep in the ice: of the reference mask, the half farther from its front; else
    the upstream tenth of the glacier polygon along the flow."""
    if ref_ice is not None and not ref_ice.is_empty:
        front = unary_union(list(ref_front)) if ref_front else ref_ice.boundary
        far = max(Point(xy).distance(front) for xy in shapely.get_coordinates(ref_ice))
        deep = ref_ice.difference(front.buffer(far / 2)) if far else ref_ice
        return (deep if not deep.is_empty else ref_ice).representative_point()
    if flow is None:
        return None
    xy = shapely.get_coordinates(domain)
    tip = Point(xy[np.argmin(xy @ flow)])
    near = domain.intersection(tip.buffer(_size(domain) / 10))
    return near.representative_point() if not near.is_empty else None


def closed_front(mask, domain, tolerance: float):
    """The front of a closed front polygon (CALFIN's ``_closed_``): its outline away from the
    glacier polygon's edge (within ``tolerance``), where the fjord walls close it."""
    front = mask.boundary.difference(domain.boundary.buffer(tolerance))
    return front if not front.is_empty else mask.boundary


@dataclass(frozen=True)
class MaskScore:
    mask_iou: float
    bias_m: float
    """Mean signed distance of our front from theirs, in metres: positive when ours is ahead."""


def _raster(polygon, shape, gt) -> np.ndarray:
    rows, cols = np.indices(shape)
    x = gt[0] + (cols + 0.5) * gt[1]
    y = gt[3] + (rows + 0.5) * gt[5]
    return shapely.contains_xy(polygon, x, y)


def signed_offset(pred_lines, ref_front, ref_ice, domain, pixel_size: float) -> float:
    """Mean distance from our front (points every pixel inside the polygon) to the reference
    front, negative where ours lies inside the reference ice (behind it), positive where
    ahead; NaN without points inside."""
    ours = shapely.segmentize(unary_union(list(pred_lines)).intersection(domain), pixel_size)
    points = shapely.points(shapely.get_coordinates(ours))
    front = unary_union(list(ref_front))
    if not len(points) or front.is_empty:
        return float("nan")
    distance = shapely.distance(points, front)
    sign = np.where(shapely.contains(ref_ice, points), -1.0, 1.0)
    return float(np.mean(sign * distance))


def mask_score(
    pred_lines, ref_lines, ref_mask, domain, flow, pixel_size, metres
) -> MaskScore | None:
    """Mask IoU on a grid of ``pixel_size`` over the glacier polygon ``domain``, and the bias;
    None when no ice side can be told (no reference mask, no flow) or a front does not cut."""
    ref_ice, ref_front = None, ref_lines
    if ref_mask is not None:
        ref_ice = ref_mask.intersection(domain)
        ref_front = [closed_front(ref_ice, domain, pixel_size)]
    anchor = upstream_anchor(domain, flow, ref_ice, ref_front)
    if anchor is None:
        return None
    ref_ice = ref_ice if ref_ice is not None else ice_mask(ref_lines, domain, anchor)
    pred_ice = ice_mask(pred_lines, domain, anchor)
    if ref_ice is None or pred_ice is None:
        return None
    shape, gt = pair_grid([domain], pixel_size)
    if shape[0] * shape[1] > MAX_MASK_CELLS:
        return None
    valid = _raster(domain, shape, gt)
    iou = mask_iou(_raster(pred_ice, shape, gt), _raster(ref_ice, shape, gt), valid)
    bias = signed_offset(pred_lines, ref_front, ref_ice, domain, pixel_size) * (metres or 1.0)
    return MaskScore(float(iou), float(bias))

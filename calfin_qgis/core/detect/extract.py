"""Edge probabilities to calving-front lines, following CALFIN's post-processing.

Threshold, skeletonize, then keep the longest path of each skeleton component's minimum
spanning tree: the tree removes the redundant diagonal links of an 8-connected skeleton, and
its diameter is the front itself without the spurs that skeletonization leaves behind.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy import ndimage, sparse
from scipy.sparse import csgraph
from skimage.morphology import skeletonize

_NEIGHBOURS = ((0, 1), (1, -1), (1, 0), (1, 1))
"""Half of the 8-neighbourhood: each undirected pixel link is built once."""


@dataclass(frozen=True)
class Front:
    """One detected front: the map line plus the pixel path it came from."""

    line: shapely.LineString
    pixels: np.ndarray
    confidence: float
    length_m: float
    flow_azimuth: float | None = None
    """Ice-flow direction across the front (ice → ocean), degrees clockwise from the map's
    grid north; None where no ice probability told the sides apart. Set by
    ``orient_ice_left``, which also turns the line so that the ice lies on its left."""


def pixel_to_map(
    rows: np.ndarray, cols: np.ndarray, geotransform: tuple[float, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """GDAL's affine transform: (row, col) in continuous pixel space, 0 at a pixel's corner.

    Pass ``index + 0.5`` for pixel centres.
    """
    g = geotransform
    rows = np.asarray(rows, dtype=np.float64)
    cols = np.asarray(cols, dtype=np.float64)
    return g[0] + cols * g[1] + rows * g[2], g[3] + cols * g[4] + rows * g[5]


def map_to_pixel(
    x: np.ndarray, y: np.ndarray, geotransform: tuple[float, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`pixel_to_map`: continuous (row, col); ``floor`` gives the index."""
    g = geotransform
    det = g[1] * g[5] - g[2] * g[4]
    if det == 0:
        raise ValueError(f"geotransform {tuple(g)} is not invertible")
    dx = np.asarray(x, dtype=np.float64) - g[0]
    dy = np.asarray(y, dtype=np.float64) - g[3]
    return (g[1] * dy - g[4] * dx) / det, (g[5] * dx - g[2] * dy) / det


def _pixel_graph(skeleton: np.ndarray) -> tuple[np.ndarray, sparse.csr_matrix]:
    """Skeleton pixel coordinates (N, 2) and their 8-neighbour graph with Euclidean weights."""
    coords = np.argwhere(skeleton)
    n = len(coords)
    index = np.full((skeleton.shape[0] + 2, skeleton.shape[1] + 2), -1, dtype=np.int32)
    index[coords[:, 0] + 1, coords[:, 1] + 1] = np.arange(n)
    heads, tails, weights = [], [], []
    for dr, dc in _NEIGHBOURS:
        other = index[coords[:, 0] + 1 + dr, coords[:, 1] + 1 + dc]
        linked = other >= 0
        heads.append(np.flatnonzero(linked))
        tails.append(other[linked])
        weights.append(np.full(linked.sum(), np.hypot(dr, dc)))
    graph = sparse.coo_matrix(
        (np.concatenate(weights), (np.concatenate(heads), np.concatenate(tails))), shape=(n, n)
    ).tocsr()
    return coords, graph


def _per_component_argmax(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Node index of the largest value in each component, ordered by label."""
    order = np.lexsort((values, labels))
    sorted_labels = labels[order]
    return order[np.append(sorted_labels[1:] != sorted_labels[:-1], True)]


def _tree_diameters(graph: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per component of the graph's spanning forest: both ends of its longest path, its
    length, and the predecessors to walk it; two Dijkstra sweeps for all components at once.
    """
    tree = csgraph.minimum_spanning_tree(graph)
    _, labels = csgraph.connected_components(tree, directed=False)
    seeds = np.unique(labels, return_index=True)[1]
    dist = csgraph.dijkstra(tree, directed=False, indices=seeds, min_only=True)
    starts = _per_component_argmax(dist, labels)
    dist, pred, _ = csgraph.dijkstra(
        tree, directed=False, indices=starts, min_only=True, return_predecessors=True
    )
    ends = _per_component_argmax(dist, labels)
    return ends, dist[ends], pred


def _walk(end: int, predecessors: np.ndarray) -> np.ndarray:
    """Node indices from a Dijkstra source to ``end``."""
    path = [end]
    while predecessors[path[-1]] >= 0:
        path.append(predecessors[path[-1]])
    return np.array(path[::-1])


def _to_front(
    pixels: np.ndarray, prob: np.ndarray, geotransform: tuple[float, ...], simplify_px: float
) -> Front:
    """Simplify the path in pixel space, then put its vertices at pixel centres on the map."""
    rc = pixels if len(pixels) > 1 else np.repeat(pixels, 2, axis=0)
    path = shapely.LineString(rc)
    if simplify_px > 0:
        path = shapely.simplify(path, simplify_px, preserve_topology=False)
    vertices = shapely.get_coordinates(path) + 0.5
    x, y = pixel_to_map(vertices[:, 0], vertices[:, 1], geotransform)
    line = shapely.LineString(np.column_stack([x, y]))
    confidence = float(prob[pixels[:, 0].astype(int), pixels[:, 1].astype(int)].mean())
    return Front(line=line, pixels=pixels, confidence=confidence, length_m=float(line.length))


EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


def front_regions(
    prob: np.ndarray,
    threshold: float,
    low_threshold: float | None = None,
    search_mask: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """8-connected regions that may hold a front, as (labels, keep per label).

    Without ``low_threshold`` (None or 0) the regions are the pixels above ``threshold``. With it
    (hysteresis) they are the regions above ``low_threshold`` that hold at least one pixel
    above ``threshold``: a line runs on where the front fades (towards the fjord walls),
    while weak traces that touch no strong pixel stay out. Chosen on the held-out
    validation glacier with the shipped pair of networks: low 0.15 lowered the mean error
    from 7.13 to 6.49 px upright and from 6.99 to 6.41 px turned, the same scenes found.
    Everything stays inside ``search_mask``; NaN counts as no front.
    """
    high = prob > threshold
    hysteresis = bool(low_threshold) and low_threshold < threshold  # None or 0: off
    candidates = prob > low_threshold if hysteresis else high
    if search_mask is not None:
        candidates &= np.asarray(search_mask, dtype=bool)
    labels, count = ndimage.label(candidates, structure=EIGHT_CONNECTED)
    del candidates
    keep = np.zeros(count + 1, dtype=bool)
    if hysteresis:
        keep[labels[high]] = True
        keep[0] = False
    else:
        keep[1:] = True
    return labels, keep


def front_mask(
    prob: np.ndarray,
    threshold: float,
    low_threshold: float | None = None,
    search_mask: np.ndarray | None = None,
) -> np.ndarray:
    """Pixels that may hold a front (the kept ``front_regions``)."""
    labels, keep = front_regions(prob, threshold, low_threshold, search_mask)
    return keep[labels]


def extract_fronts(
    edge: np.ndarray,
    geotransform: tuple[float, ...],
    *,
    threshold: float = 0.33,
    low_threshold: float | None = None,
    search_mask: np.ndarray | None = None,
    min_length_px: float = 10.0,
    simplify_px: float = 1.0,
    max_fronts: int | None = None,
) -> list[Front]:
    """Front lines from an edge probability raster (NaN = nodata), longest first.

    ``search_mask`` (True where a front may lie) restricts the search to the fjord;
    ``low_threshold`` adds hysteresis (``front_mask``);
    ``min_length_px`` drops paths shorter than that many pixels, measured along the path.
    """
    prob = np.nan_to_num(np.asarray(edge, dtype=np.float32), nan=0.0)
    if prob.ndim != 2:
        raise ValueError(f"edge must be 2-D, got shape {prob.shape}")
    binary = front_mask(prob, threshold, low_threshold, search_mask)
    return fronts_in_mask(binary, prob, geotransform, min_length_px, simplify_px, max_fronts)


def fronts_in_mask(
    binary: np.ndarray,
    prob: np.ndarray,
    geotransform: tuple[float, ...],
    min_length_px: float = 10.0,
    simplify_px: float = 1.0,
    max_fronts: int | None = None,
) -> list[Front]:
    """Front lines of the pixels that may hold a front (``front_mask``), longest first.

    ``prob`` (no NaN) gives each front's confidence.
    """
    skeleton = skeletonize(binary) if binary.any() else binary
    if not skeleton.any():
        return []
    coords, graph = _pixel_graph(skeleton)
    ends, lengths, predecessors = _tree_diameters(graph)
    keep = np.flatnonzero(lengths >= min_length_px)
    keep = keep[np.argsort(-lengths[keep], kind="stable")][:max_fronts]
    return [
        _to_front(
            coords[_walk(ends[i], predecessors)].astype(np.float64),
            prob,
            geotransform,
            simplify_px,
        )
        for i in keep
    ]


def side_contrast(pixels: np.ndarray, ice: np.ndarray, offset: float = 4.0) -> float:
    """How cleanly a pixel path separates ice from ocean in the ice probability ``ice``.

    The mean difference of ``ice`` sampled ``offset`` pixels to either side of the path
    (along its local normal), in absolute value: near 1 for a calving front with ice on one
    side and ocean on the other, near 0 for a trace inside the mélange or along rock.
    """
    return abs(signed_contrast(pixels, ice, offset))


def signed_contrast(pixels: np.ndarray, ice: np.ndarray, offset: float = 4.0) -> float:
    """``side_contrast`` with its sign: positive when the ice lies on the side of the normal
    (-dcol, drow) of the (row, col) path, the right-hand side in (col, row) axes."""
    if len(pixels) < 3:
        return 0.0
    tangent = np.gradient(pixels.astype(np.float64), axis=0)
    tangent /= np.maximum(np.linalg.norm(tangent, axis=1, keepdims=True), 1e-9)
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    limits = np.array(ice.shape) - 1
    ahead = np.clip(np.rint(pixels + offset * normal), 0, limits).astype(np.intp)
    behind = np.clip(np.rint(pixels - offset * normal), 0, limits).astype(np.intp)
    values = np.nan_to_num(ice[ahead[:, 0], ahead[:, 1]] - ice[behind[:, 0], behind[:, 1]])
    return float(values.mean())


def orient_ice_left(front: Front, ice: np.ndarray, geotransform: tuple[float, ...]) -> Front:
    """``front`` turned so that, walking along its line on the map, the ice lies on the left,
    with its ``flow_azimuth`` (ice → ocean, normal to the line's chord): the evidence that
    terminus change uses to tell a centreline's or a box's upstream end. A front with no
    ice contrast is returned as it is, without azimuth."""
    contrast = signed_contrast(front.pixels, ice)
    if contrast == 0:
        return front
    g = geotransform
    # (col, row) -> map flips handedness where the determinant is negative (north-up grids)
    ice_on_left = (contrast > 0) == (g[1] * g[5] - g[2] * g[4] < 0)
    line, pixels = front.line, front.pixels
    if not ice_on_left:
        line, pixels = line.reverse(), pixels[::-1]
    (x0, y0), (x1, y1) = line.coords[0], line.coords[-1]
    dx, dy = x1 - x0, y1 - y0
    azimuth = float(np.degrees(np.arctan2(dy, -dx)) % 360) if dx or dy else None
    return Front(line, pixels, front.confidence, front.length_m, azimuth)

"""Training pairs exactly as ``model/`` makes them, from a scene and the fronts drawn on it.

``model/``'s scenes are 8-bit subsets turned so that ice flows up, with the front drawn
3 px wide; the targets per pixel (``targets``) are the edge (that line), the ice mask
derived column by column from it (``mask_from_front``) with its weight, and a valid flag.
A user's scene becomes the same: it is put on the model's 40 m grid (``model_grid``, as
detection does), a window around the fronts is read, its band stretched to 8 bits with the
window's limits (8-bit scenes are kept as they are), and the window turned so that the ice
flows up. **The ice side comes from the base model**: its ice probability along the drawn
front gives the flow direction (``infer.estimate_flow`` weighted by the drawn line instead
of the predicted edge), so a front drawn in any direction and any orientation of the scene
work. Each pair gives jittered variants (``jitter_grey``, before ``model_input``) and random
flips, turns and crops (``sample``), as training does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from scipy.ndimage import binary_dilation, zoom
from shapely import wkb
from shapely.geometry import box

from ..detect.extract import map_to_pixel
from ..detect.grid import model_grid
from ..errors import InputError
from ..evaluation.metrics import rasterize_lines
from ..geo import rasters, reproject
from ..network.infer import estimate_flow, flow_turns
from ..network.model import Model
from ..network.preprocess import model_input, stretch_limits, to_unit
from ..products import sources

MARGIN_PX = 96
"""Pixels (on the 40 m grid) read around the drawn fronts: the context training crops see."""
MIN_WINDOW_PX = 256
"""Windows are at least this wide and high (training crops are 192 px) where the scene is."""


def mask_from_front(front: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ice mask (1 below the front, 0 above) and its weight (0 where undefined)."""
    h, w = front.shape
    mask = np.zeros((h, w), np.float32)
    weight = np.zeros((h, w), np.float32)
    rows = np.arange(h)[:, None]
    crossed = front.any(axis=0)
    if not crossed.any():
        return mask, weight
    top = np.where(crossed, np.argmax(front, axis=0), 0)
    bottom = np.where(crossed, h - 1 - np.argmax(front[::-1], axis=0), 0)
    below = (rows > bottom[None, :]) & crossed[None, :]
    above = (rows < top[None, :]) & crossed[None, :]
    mask[below] = 1.0
    weight[below | above] = 1.0
    return mask, weight


def jitter_grey(grey: np.ndarray, front: np.ndarray, rng: np.random.Generator):
    """Photometric jitter and a small scale change of one scene (grey band + front line)."""
    g = grey.astype(np.float32) / 255.0
    if rng.random() < 0.5:
        s = rng.uniform(0.8, 1.25)
        g = zoom(g, s, order=1)
        front = zoom(front.astype(np.float32), s, order=1) > 0.35
    gamma = np.exp(rng.uniform(np.log(0.6), np.log(1.6)))
    g = np.clip(g, 0, 1) ** gamma
    contrast = rng.uniform(0.7, 1.3)
    bright = rng.uniform(-0.08, 0.08)
    g = (g - 0.5) * contrast + 0.5 + bright
    if rng.random() < 0.5:
        g = g + rng.normal(0, rng.uniform(0.005, 0.03), g.shape)
    g = np.clip(np.round(g * 255), 0, 255).astype(np.uint8)
    return g, front


def targets(front: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """(edge, mask, mask weight, valid) as uint8 (4, H, W): what ``net.loss_fn`` reads."""
    mask, weight = mask_from_front(front)
    valid = np.ones_like(mask) if valid is None else valid
    return np.stack([front, mask, weight * valid, valid]).astype(np.uint8)


def variants(
    grey: np.ndarray, front3: np.ndarray, n: int, rng: np.random.Generator
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The scene as it is plus ``n - 1`` jittered copies, each as (model input, targets)."""
    items = []
    for v in range(n):
        g, f = (grey, front3) if v == 0 else jitter_grey(grey, front3, rng)
        items.append((model_input(g).astype(np.float32), targets(f)))
    return items


def sample(item, rng: np.random.Generator, crop: int = 192, p_upright: float = 0.5):
    """A random flip (keeps ice flowing up), turn (upright ``p_upright`` of the time) and
    ``crop`` x ``crop`` window of one (input, targets) item; padded where smaller."""
    x, y = item
    if rng.random() < 0.5:
        x, y = x[:, :, ::-1], y[:, :, ::-1]
    k = 0 if rng.random() < p_upright else int(rng.integers(1, 4))
    if k:
        x, y = np.rot90(x, k, axes=(1, 2)), np.rot90(y, k, axes=(1, 2))
    _, h, w = x.shape
    ph, pw = max(0, crop - h), max(0, crop - w)
    if ph or pw:  # pad (weight 0 / valid 0 in the pad)
        x = np.pad(x, ((0, 0), (0, ph), (0, pw)))
        y = np.pad(y, ((0, 0), (0, ph), (0, pw)))
        h, w = h + ph, w + pw
    r0 = int(rng.integers(0, h - crop + 1))
    c0 = int(rng.integers(0, w - crop + 1))
    return (
        np.ascontiguousarray(x[:, r0 : r0 + crop, c0 : c0 + crop]),
        np.ascontiguousarray(y[:, r0 : r0 + crop, c0 : c0 + crop]),
    )


def thick(front1: np.ndarray) -> np.ndarray:
    """The 1-px line drawn 3 px wide, as training's labels."""
    return binary_dilation(front1, np.ones((3, 3), bool))


@dataclass
class Pair:
    """One scene's window, turned so that ice flows up: 8-bit band and drawn fronts."""

    image_id: str
    grey: np.ndarray
    front1: np.ndarray
    front3: np.ndarray
    turns: int
    """Quarter turns (np.rot90) applied to the window to bring the ice flow up."""
    window: rasters.Window
    scene: rasters.Scene
    """The scene on the model's grid (the window's pixels)."""

    @property
    def clip(self):
        """The window as a polygon in the scene's CRS (a detection's search area)."""
        gt = self.window.geotransform(self.scene.geotransform)
        x0, y0 = gt[0], gt[3]
        x1 = x0 + self.window.width * gt[1] + self.window.height * gt[2]
        y1 = y0 + self.window.width * gt[4] + self.window.height * gt[5]
        return box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def front_window(scene: rasters.Scene, lines, image_id: str) -> rasters.Window:
    """The pixels around ``lines`` (scene CRS) plus a margin, inside the scene."""

    xy = shapely.get_coordinates(list(lines))
    rows, cols = map_to_pixel(xy[:, 0], xy[:, 1], scene.geotransform)
    r0, r1 = int(np.floor(rows.min())), int(np.ceil(rows.max()))
    c0, c1 = int(np.floor(cols.min())), int(np.ceil(cols.max()))
    if r1 < 0 or c1 < 0 or r0 >= scene.height or c0 >= scene.width:
        raise InputError(
            f"The fronts of {image_id} lie outside their scene {Path(scene.path).name}. Check "
            "the fronts layer's CRS, or that image_id names the scene they were drawn on."
        )

    def span(lo: int, hi: int, size: int) -> tuple[int, int]:
        pad = max(MARGIN_PX, (MIN_WINDOW_PX - (hi - lo)) // 2)
        return max(0, lo - pad), min(size, hi + pad)

    (r0, r1), (c0, c1) = span(r0, r1, scene.height), span(c0, c1, scene.width)
    return rasters.Window(c0, r0, c1 - c0, r1 - r0)


def base_probs(base: Model, x: np.ndarray) -> np.ndarray:
    """The base model's (outputs, H, W) probabilities of one (3, H, W) input, in one pass."""
    m = base.info.size_multiple
    _, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, (-h) % m), (0, (-w) % m)), mode="reflect")
    return base.run(padded[None])[0][:, :h, :w]


def scene_pair(
    path: str | os.PathLike, lines, lines_crs_wkt: str, base: Model, image_id: str
) -> Pair:
    """The training pair of one scene and its drawn fronts (shapely lines in their CRS)."""
    source = sources.open_source(str(path))
    scene = model_grid(rasters.open_scene(source.path, source.band), base.info.pixel_size_m)
    transform = (
        reproject.transformation(lines_crs_wkt, scene.crs_wkt)
        if lines_crs_wkt and scene.crs_wkt
        else None
    )
    lines = [wkb.loads(reproject.transformed(line.wkb, transform)) for line in lines]
    window = front_window(scene, lines, image_id)
    front1 = rasterize_lines(
        lines, (window.height, window.width), window.geotransform(scene.geotransform)
    )
    if not front1.any():
        raise InputError(f"The fronts of {image_id} lie outside their scene {Path(path).name}.")
    values, valid = scene.read(window)
    limits = stretch_limits(values, valid)
    if values.dtype == np.uint8:
        grey = values
    else:
        grey = np.round(to_unit(values, limits, valid) * 255).astype(np.uint8)
    probs = base_probs(base, model_input(values, valid, limits))
    flow = estimate_flow(thick(front1).astype(np.float32), probs[1])
    if flow is None:
        raise InputError(
            f"The ice side of the fronts of {image_id} cannot be told: the base model sees "
            "no ice next to them. Check that the fronts lie on the calving front."
        )
    turns = flow_turns(flow, base.info.flow)
    grey, front1 = np.rot90(grey, turns).copy(), np.rot90(front1, turns).copy()
    return Pair(image_id, grey, front1, thick(front1), turns, window, scene)

"""Tiled inference with smooth blending, block by block so that memory stays bounded.

A scene window is cut into blocks; each block is read with a margin of context,
preprocessed, turned so that the ice flows the way the model was trained for, cut into
overlapping tiles that are blended with a smooth weight window (no seams), turned back,
and its centre written out. Only one block is ever held in memory.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

import numpy as np

from ..contract import FLOWS
from ..errors import Cancelled, InputError
from ..geo.rasters import Scene, Window
from ..timing import StageTimer
from . import preprocess
from .model import Model
from .views import predict_views

Progress = Callable[[float], None]
IsCancelled = Callable[[], bool]


def flow_turns(flow: str | float | None, canonical: str = "up") -> int:
    """Quarter turns for a flow given as 'up'/'down'/'left'/'right' or an azimuth in degrees.

    The azimuth is the direction the ice flows in, measured clockwise from the top of the
    image (0 = up, 90 = right). None means unknown: no turn.
    """
    if flow is None or flow == "":
        return 0
    if isinstance(flow, str) and flow.lower() in FLOWS:
        turns = FLOWS[flow.lower()]
    else:
        try:
            turns = int(round(float(flow) / 90.0)) % 4
        except (ValueError, OverflowError) as err:  # words, nan, inf
            raise InputError(
                f"Flow direction '{flow}' is not understood. Use up, down, left, right or an "
                "azimuth in degrees (0 = ice flows to the top of the image, 90 = to the right)."
            ) from err
    return (turns - FLOWS[canonical]) % 4


def tile_weights(size: int) -> np.ndarray:
    """A separable sine window, positive everywhere, so overlapping tiles blend smoothly."""
    ramp = np.sin(np.pi * (np.arange(size) + 0.5) / size).astype(np.float32)
    return np.outer(ramp, ramp)


def tile_starts(length: int, tile: int, stride: int) -> list[int]:
    """Tile origins covering ``length`` (>= tile) with the given stride; the last one flush."""
    starts = list(range(0, length - tile + 1, stride))
    if starts[-1] != length - tile:
        starts.append(length - tile)
    return starts


def tile_positions(height: int, width: int, tile: int, stride: int) -> list[tuple[int, int]]:
    """(row, col) origins of the tiles covering a ``height`` × ``width`` array (>= tile)."""
    rows, cols = tile_starts(height, tile, stride), tile_starts(width, tile, stride)
    return [(r, c) for r in rows for c in cols]


def _pad_to(x: np.ndarray, height: int, width: int) -> np.ndarray:
    pad_h, pad_w = height - x.shape[1], width - x.shape[2]
    if pad_h == 0 and pad_w == 0:
        return x
    mode = "reflect" if pad_h < x.shape[1] and pad_w < x.shape[2] else "constant"
    return np.pad(x, ((0, 0), (0, pad_h), (0, pad_w)), mode=mode)


def predict_array(
    model: Model,
    x: np.ndarray,
    tile: int,
    overlap: int,
    batch_size: int = 4,
    cancelled: IsCancelled = lambda: False,
    on_tile: Callable[[], None] = lambda: None,
    timer: StageTimer | None = None,
    valid: np.ndarray | None = None,
    views: int = 1,
    with_spread: bool = False,
) -> np.ndarray:
    """Predict a (C, H, W) input with overlapping tiles; return (outputs, H, W) probabilities.

    With ``valid`` (H, W; False on nodata) tiles holding only nodata are not run: they would
    only write pixels that are nodata anyway. Those pixels come back as NaN. Each tile is
    predicted in ``views`` views (``views.predict_views``: 2 adds the mirrored pass) and
    they are averaged; ``with_spread`` adds their disagreement as a last channel.
    """
    timer = timer or StageTimer()
    multiple = model.info.size_multiple
    tile = max(multiple, tile - tile % multiple)
    height, width = x.shape[1:]
    padded_h = max(tile, height)
    padded_w = max(tile, width)
    x = _pad_to(x, padded_h, padded_w)
    positions = tile_positions(padded_h, padded_w, tile, max(1, tile - overlap))
    if valid is not None:
        valid = np.pad(valid, ((0, padded_h - height), (0, padded_w - width)))
        kept = [(r, c) for r, c in positions if valid[r : r + tile, c : c + tile].any()]
        for _ in range(len(positions) - len(kept)):
            on_tile()
        positions = kept
    weights = tile_weights(tile)
    channels = len(model.info.outputs) + with_spread
    total = np.zeros((channels, padded_h, padded_w), dtype=np.float32)
    norm = np.zeros((padded_h, padded_w), dtype=np.float32)
    for i in range(0, len(positions), batch_size):
        if cancelled():
            raise Cancelled("cancelled by the user")
        batch_pos = positions[i : i + batch_size]
        batch = np.stack([x[:, r : r + tile, c : c + tile] for r, c in batch_pos])
        with timer.stage("infer"):
            probs, spread = predict_views(model, batch, views)
            if with_spread:
                probs = np.concatenate([probs, spread[:, None]], axis=1)
        with timer.stage("blend"):
            for (r, c), p in zip(batch_pos, probs, strict=True):
                total[:, r : r + tile, c : c + tile] += p * weights
                norm[r : r + tile, c : c + tile] += weights
        for _ in batch_pos:
            on_tile()
    with timer.stage("blend"):
        total = total[:, :height, :width]
        norm = norm[:height, :width]
        return np.divide(total, norm, out=np.full_like(total, np.nan), where=norm > 0)


def blocks(window: Window, size: int) -> Iterator[Window]:
    """Cut ``window`` into blocks of at most ``size`` × ``size`` pixels (scene coordinates)."""
    for r in range(window.row_off, window.row_off + window.height, size):
        for c in range(window.col_off, window.col_off + window.width, size):
            yield Window(
                c,
                r,
                min(size, window.col_off + window.width - c),
                min(size, window.row_off + window.height - r),
            )


def expand(block: Window, margin: int, scene: Scene) -> Window:
    c0, r0 = max(0, block.col_off - margin), max(0, block.row_off - margin)
    c1 = min(scene.width, block.col_off + block.width + margin)
    r1 = min(scene.height, block.row_off + block.height + margin)
    return Window(c0, r0, c1 - c0, r1 - r0)


def count_tiles(
    window: Window, block: int, margin: int, tile: int, overlap: int, scene: Scene
) -> int:
    """The tiles ``predict_scene`` runs (or skips as nodata), for progress reporting."""
    stride = max(1, tile - overlap)
    n = 0
    for b in blocks(window, block):
        outer = expand(b, margin, scene)
        h, w = max(tile, outer.height), max(tile, outer.width)
        n += len(tile_starts(h, tile, stride)) * len(tile_starts(w, tile, stride))
    return max(1, n)


def predict_scene(
    model: Model,
    scene: Scene,
    window: Window,
    write: Callable[[Window, np.ndarray], None],
    *,
    limits: tuple[float, float] | None = None,
    turns: int = 0,
    tile: int | None = None,
    overlap: int = 64,
    batch_size: int = 4,
    block: int = 1024,
    views: int = 1,
    with_spread: bool = False,
    progress: Progress = lambda fraction: None,
    cancelled: IsCancelled = lambda: False,
    timer: StageTimer | None = None,
) -> None:
    """Predict ``window`` of ``scene`` block by block; ``write(block_window, probs)`` gets
    each block's (outputs, h, w) probabilities, NaN on nodata, with the block window given
    relative to ``window``; ``views`` and ``with_spread`` as in ``predict_array``."""
    timer = timer or StageTimer()
    tile = tile or model.info.tile_size
    if not 0 <= overlap < tile:
        raise InputError(f"Tile overlap {overlap} must be between 0 and the tile size {tile}.")
    if limits is None and not scene.preprocessed:  # preprocessed input is already scaled
        limits = scene_limits(scene, timer)
    margin = max(overlap, preprocess.MARGIN)
    on_tile = tile_counter(count_tiles(window, block, margin, tile, overlap, scene), progress)
    run_tiles = functools.partial(
        predict_array,
        model,
        tile=tile,
        overlap=overlap,
        batch_size=batch_size,
        cancelled=cancelled,
        on_tile=on_tile,
        timer=timer,
        views=views,
        with_spread=with_spread,
    )
    for core in blocks(window, block):
        if cancelled():
            raise Cancelled("cancelled by the user")
        outer = expand(core, margin, scene)
        inner = inner_slices(core, outer)
        probs = _predict_block(scene, outer, inner, limits, turns, run_tiles, timer)
        if probs is None:  # only nodata: its tiles count as done
            for _ in range(count_tiles(core, block, margin, tile, overlap, scene)):
                on_tile()
            channels = len(model.info.outputs) + with_spread
            probs = np.full((channels, core.height, core.width), np.nan)
        relative = Window(
            core.col_off - window.col_off, core.row_off - window.row_off, core.width, core.height
        )
        write(relative, probs)


def tile_counter(total: int, progress: Progress) -> Callable[[], None]:
    """What to call once a tile is predicted: ``progress`` gets the fraction of ``total``."""
    done = 0

    def on_tile() -> None:
        nonlocal done
        done += 1
        progress(min(1.0, done / total))

    return on_tile


def scene_limits(scene: Scene, timer: StageTimer) -> tuple[float, float]:
    """The band's stretch limits over the whole scene, from a decimated read."""
    with timer.stage("read"):
        values, valid = scene.read_overview()
    if not valid.any():
        raise InputError(
            f"{scene.path} band {scene.band} holds only nodata. Choose another band or scene."
        )
    return preprocess.stretch_limits(values, valid)


def _predict_block(
    scene: Scene,
    outer: Window,
    inner: tuple[slice, slice],
    limits: tuple[float, float] | None,
    turns: int,
    run_tiles: Callable[..., np.ndarray],
    timer: StageTimer,
) -> np.ndarray | None:
    """The probabilities of a block's core (``inner`` of ``outer``, read with its margin),
    NaN on nodata, the block turned ``turns`` quarter turns for the model and back; None
    when the core holds only nodata. ``run_tiles``: ``predict_array`` with its settings."""
    with timer.stage("read"):
        x, valid = scene.read_input(outer) if scene.preprocessed else scene.read(outer)
    if not valid[inner].any():
        return None
    if not scene.preprocessed:
        with timer.stage("preprocess"):
            x = preprocess.model_input(x, valid, limits)
    x = np.rot90(x, turns, axes=(1, 2))
    probs = run_tiles(x, valid=np.rot90(valid, turns))
    del x
    with timer.stage("blend"):
        probs = np.rot90(probs, -turns, axes=(1, 2))[:, inner[0], inner[1]].copy()
        probs[:, ~valid[inner]] = np.nan
    return probs


def inner_slices(core: Window, outer: Window) -> tuple[slice, slice]:
    """The slices of ``core`` inside the array read for ``outer``."""
    return (
        slice(core.row_off - outer.row_off, core.row_off - outer.row_off + core.height),
        slice(core.col_off - outer.col_off, core.col_off - outer.col_off + core.width),
    )


def estimate_flow(edge: np.ndarray, ice: np.ndarray) -> float | None:
    """Azimuth (degrees clockwise from the image's top) the ice flows towards, or None.

    Near the calving front the ice probability falls from ice to ocean, so its gradient,
    weighted by the (smoothed) front probability, points against the flow. On the
    validation glacier this picked the right quarter turn for 110 of 120 scenes turned
    every way (the misses mostly where no front is found anyway).
    """
    from scipy.ndimage import gaussian_filter

    weight = gaussian_filter(np.nan_to_num(edge), 4.0)
    d_row, d_col = np.gradient(gaussian_filter(np.nan_to_num(ice), 2.0))
    towards_col = -float((d_col * weight).sum())
    towards_row = -float((d_row * weight).sum())
    if towards_col == 0.0 and towards_row == 0.0:
        return None
    return float(np.degrees(np.arctan2(towards_col, -towards_row)) % 360.0)

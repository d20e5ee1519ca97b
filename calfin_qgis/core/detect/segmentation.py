"""The whole job: scene → probabilities → front lines → layer, as used by QGIS and the CLI."""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import contract, schema
from ..contract import FLOWS
from ..errors import Cancelled, InputError
from ..geo import polygons, rasters, reproject
from ..network.infer import IsCancelled, Progress, estimate_flow, flow_turns, predict_scene
from ..network.model import Model
from ..network.views import check_views
from ..products import sources
from ..timing import StageTimer
from . import sanity
from .extract import Front
from .grid import model_grid
from .options import default

LOG = logging.getLogger(__name__)

WINDOW_STATS_LIMIT = 16_000_000
"""Windows up to this many pixels get stretch limits from a full read, larger from an overview."""


@dataclass(frozen=True)
class DetectOptions:
    """How to detect: plain values only, so that a job carrying them can go to a worker.
    The user's settings take their defaults from the option table (``options.OPTIONS``)."""

    band: int | None = default("band")
    """None: a product's band from the sensor table (``sources.open_source``), a raster's 1."""
    clip: object | None = None
    """Search area: a vector file path, WKB bytes in ``clip_crs_wkt``, or a shapely geometry
    in the scene's CRS."""
    clip_crs_wkt: str = ""
    """The CRS of a WKB ``clip`` ('' = the scene's)."""
    flow: str | float | None = default("flow")
    glacier_id: str = default("glacier_id")
    threshold: float = default("threshold")
    low_threshold: float | None = default("low_threshold")
    """Hysteresis (``extract.front_regions``); None or 0 for the plain threshold."""
    min_length_px: float = default("min_length_px")
    simplify_px: float = default("simplify_px")
    max_fronts: int | None = default("max_fronts")
    min_contrast: float = default("min_contrast")
    """Pieces besides the longest are kept when they separate ice from ocean this well."""
    tile: int | None = None
    overlap: int = default("overlap")
    batch_size: int = default("batch_size")
    block: int = 2048
    views: int = default("views")
    """Test-time views averaged (``network.views``): 1, 2 (with the mirrored pass) or 8."""
    flip: bool = default("flip")
    """The older name: False (FLIP=false, --no-flip) means ``views`` = 1."""
    resample: bool = default("resample")
    """Average much finer scenes to the model's pixel size first (``model_grid``)."""

    def __post_init__(self) -> None:
        views = check_views(self.views)
        if not self.flip and views not in (1, contract.DEFAULT_VIEWS):
            raise InputError(
                f"The mirrored pass was turned off (FLIP=false, --no-flip: the older way to ask "
                f"for 1 view) but {views} views were asked for (VIEWS, --views): give the "
                "views only."
            )
        object.__setattr__(self, "views", views if self.flip else 1)  # frozen: set once here


@dataclass
class SegmentResult:
    scene: rasters.Scene
    window: rasters.Window
    probs: np.ndarray
    search_mask: np.ndarray | None
    seconds: float
    timer: StageTimer = field(default_factory=StageTimer)
    flow: str | float | None = None
    """The ice flow direction used: given, estimated (an azimuth) or None (not turned)."""
    warnings: list[str] = field(default_factory=list)
    """What the user should know about the result (a constant band, a flow direction the
    prediction contradicts...)."""
    suspect: bool = False
    """The input does not look like a satellite band (``sanity``): fronts get qual_flag 13."""
    spread: np.ndarray | None = None
    """How much the members and views disagree on ice, per pixel (``views.predict_views``);
    None for probabilities read back from a raster."""

    @property
    def flow_text(self) -> str:
        if self.flow is None:
            return "ice flow direction unknown, window not turned"
        if isinstance(self.flow, float):
            return f"ice flow direction estimated at {self.flow:.0f}° (clockwise from up)"
        return f"ice flow direction given: {self.flow}"

    @property
    def geotransform(self) -> rasters.GeoTransform:
        return self.window.geotransform(self.scene.geotransform)


def resolve_clip(options: DetectOptions, scene: rasters.Scene, warn: polygons.Warn):
    """The clip polygon as a shapely geometry in the scene's CRS (reprojected if needed;
    an invalid one repaired, with a warning)."""
    clip = options.clip
    if clip is None or clip == "":
        return None
    if isinstance(clip, str | os.PathLike):
        return polygons.read_polygons(clip, scene.crs_wkt, warn)
    if isinstance(clip, bytes):
        from shapely import wkb

        transform = reproject.transformation(options.clip_crs_wkt, scene.crs_wkt)
        clip = wkb.loads(reproject.transformed(clip, transform))
    return polygons.search_area(polygons.repaired(clip, "The clip polygon", warn))


def window_limits(
    scene: rasters.Scene, window: rasters.Window, timer: StageTimer
) -> tuple[tuple[float, float], str | None]:
    """The band's stretch limits over the window to process (from an overview if large), and
    a warning when the band holds a single value there (an alpha band, an empty channel)."""
    from ..network.preprocess import stretch_limits

    with timer.stage("read"):
        if window.width * window.height <= WINDOW_STATS_LIMIT:
            values, valid = scene.read(window)
        else:
            values, valid = scene.read_overview()
    if not valid.any():
        raise InputError(
            f"{os.path.basename(scene.path)} band {scene.band} holds only nodata in the "
            "area to process. Choose another band, scene or clip polygon."
        )
    warning = None
    data = values[valid]
    if data.min() == data.max():
        warning = (
            f"Band {scene.band} of {os.path.basename(scene.path)} holds one value "
            f"({data.flat[0]:g}) in the area to process, so no front can be found. Is it an "
            "alpha or empty band? Choose the image band."
        )
    return stretch_limits(values, valid), warning


def segment(
    model: Model,
    scene: rasters.Scene,
    options: DetectOptions,
    progress: Progress = lambda f: None,
    cancelled: IsCancelled = lambda: False,
) -> SegmentResult:
    """Predict the scene (or the clip polygon's window) into an in-memory probability array.

    With the flow direction unknown, a window of up to ``contract.AUTO_FLOW_LIMIT`` pixels is
    predicted as it is, the flow is estimated from the result (``estimate_flow``), and when
    the ice does not flow the model's way the window is predicted again, turned.
    """
    timer = StageTimer()
    start = time.perf_counter()
    doubts = sanity.input_warnings(scene)
    if options.resample:
        scene = model_grid(scene, model.info.pixel_size_m)
    warnings: list[str] = []
    geometry = resolve_clip(options, scene, warnings.append)
    tile = options.tile or model.info.tile_size
    window = (
        polygons.polygon_window(geometry, scene, margin=tile // 2)
        if geometry is not None
        else scene.full_window
    )
    limits, warning = (None, None) if scene.preprocessed else window_limits(scene, window, timer)
    small = window.width * window.height <= contract.AUTO_FLOW_LIMIT
    predict = functools.partial(
        predict_window, model, scene, window, limits, options, tile, cancelled, timer
    )
    probs, flow, auto_flow = _predict_turned(
        predict, model, options.flow, small, progress, cancelled
    )
    probs, spread = probs[:-1], probs[-1]
    warnings.append(warning)
    if flow is not None and not auto_flow and small and len(probs) > 1:
        warnings.append(flow_warning(flow, probs))
    mask = None if geometry is None else polygons.polygon_mask(geometry, window, scene.geotransform)
    if len(probs) > 1:
        doubts += filter(None, [sanity.mask_warning(probs[1], mask)])
    warnings = [text for text in warnings if text] + doubts
    seconds = time.perf_counter() - start
    return SegmentResult(
        scene,
        window,
        probs,
        mask,
        seconds,
        timer,
        flow,
        warnings,
        suspect=bool(doubts),
        spread=spread,
    )


def _predict_turned(
    predict: Callable,
    model: Model,
    flow: str | float | None,
    small: bool,
    progress: Progress,
    cancelled: IsCancelled,
) -> tuple[np.ndarray, str | float | None, bool]:
    """``predict`` (turns, progress) with the ice flowing the model's way: ``segment``'s
    passes. Returns (probabilities, flow, whether the flow was estimated)."""
    auto_flow = flow is None and small and len(model.info.outputs) > 1
    share = 0.5 if auto_flow else 1.0  # of the progress bar per pass: maybe a second one
    probs = predict(flow_turns(flow, model.info.flow), lambda f: progress(share * f))
    if auto_flow:
        flow = estimate_flow(probs[0], probs[1])
        turns = flow_turns(flow, model.info.flow)
        if turns and not cancelled():
            probs = predict(turns, lambda f: progress(share + share * f))
        progress(1.0)
    if cancelled():
        raise Cancelled("cancelled by the user")
    return probs, flow, auto_flow


def predict_window(
    model: Model,
    scene: rasters.Scene,
    window: rasters.Window,
    limits: tuple[float, float] | None,
    options: DetectOptions,
    tile: int,
    cancelled: IsCancelled,
    timer: StageTimer,
    turns: int,
    progress: Progress,
) -> np.ndarray:
    """``window`` of ``scene`` predicted (turned ``turns`` quarter turns, ``options.views``
    views) into one array: the model's outputs, then the views' spread (``predict_array``)."""
    channels = len(model.info.outputs) + 1
    probs = np.empty((channels, window.height, window.width), np.float32)

    def write(block: rasters.Window, data: np.ndarray) -> None:
        probs[(slice(None), *block.slices)] = data

    predict_scene(
        model,
        scene,
        window,
        write,
        limits=limits,
        turns=turns,
        tile=tile,
        overlap=options.overlap,
        batch_size=options.batch_size,
        block=options.block,
        views=options.views,
        with_spread=True,
        progress=progress,
        cancelled=cancelled,
        timer=timer,
    )
    return probs


def flow_warning(given: str | float, probs: np.ndarray) -> str | None:
    """A warning when the ice in the prediction flows more than 90° away from the direction
    the user gave, or None. The estimate (``estimate_flow``) comes from the prediction made
    with the given direction: two smoothings of the window, no second pass."""
    estimated = estimate_flow(probs[0], probs[1])
    if estimated is None:
        return None
    name = str(given).lower()
    azimuth = FLOWS[name] * 90.0 if name in FLOWS else float(given)
    apart = abs((estimated - azimuth + 180.0) % 360.0 - 180.0)
    if apart <= 90.0:
        return None
    nearest = min(FLOWS, key=lambda flow: abs((estimated - FLOWS[flow] * 90.0 + 180) % 360 - 180))
    return (
        f"The ice flow direction given ({given}) is {apart:.0f}° from the one the prediction "
        f"shows (about {estimated:.0f}° clockwise from up: {nearest}); the given direction "
        f"was used. Check it (FLOW, --flow): if the ice flows {nearest}, run again with "
        "that direction, or leave it unknown to have it estimated."
    )


def identity_warning(metadata: sources.SceneMetadata, name: str, glacier_id: str) -> str | None:
    """A warning when the fronts of scene ``name`` will carry neither a date (``metadata``,
    as ``front_records`` gets it) nor a glacier id, or None."""
    if glacier_id or metadata.date:
        return None
    return (
        f"No acquisition date for {name} (not in its name, no product metadata) "
        "and no glacier id: its fronts cannot be placed in a time series or sorted for "
        "review. Give the glacier id (GLACIER_ID, --glacier-id), or load the band file "
        "inside its product (next to its MTL, inside its .SAFE), or keep the product name "
        "in the file name (e.g. LC08_L1TP_009011_20190714_20200827_02_T1_B8.TIF)."
    )


def front_records(
    fronts: list[Front],
    scene: rasters.Scene,
    metadata: sources.SceneMetadata,
    source: str,
    glacier_id: str = "",
    suspect: bool = False,
) -> list[dict]:
    """Attach the CALFIN attributes (``schema.FRONT_FIELDS``) to extracted fronts.

    ``metadata``: the scene's (``sources.SceneSource``); ``source``: the model's name.
    ``suspect`` fronts (``SegmentResult.suspect``) are low confidence whatever their edge
    probability.
    """
    metres = scene.units_are_metres
    return [
        {
            "geometry": front.line,
            "glacier_id": glacier_id,
            "image_id": metadata.image_id,
            "date": metadata.date,
            "qual_flag": schema.QUAL_AUTO_LOW_CONFIDENCE
            if suspect
            else schema.qual_flag(front.confidence),
            "confidence": round(float(front.confidence), 4),
            "length_m": round(float(front.length_m), 1) if metres else None,
            "source": source,
            "sensor": metadata.sensor,
            "path_row": metadata.path_row,
            "cloud_cover": metadata.cloud_cover,
            "flow_azimuth": None if front.flow_azimuth is None else round(front.flow_azimuth, 1),
            "uncertainty_m": round(float(front.uncertainty_m), 1)
            if metres and front.uncertainty_m is not None
            else None,
        }
        for front in fronts
    ]


def preprocess_scene(
    source: sources.SceneSource,
    output: str,
    block: int = 2048,
    progress: Progress = lambda f: None,
    cancelled: IsCancelled = lambda: False,
    overwrite: bool = False,
    resample: bool = True,
) -> rasters.Scene:
    """Write the network's 3-channel input for a whole scene, block by block (on the
    model's grid, ``model_grid``, unless ``resample`` is False), remembering the scene
    (``SceneSource.tags``); return the scene as written (maybe averaged)."""
    from ..network import preprocess
    from ..network.infer import blocks, expand, inner_slices

    scene = source.scene
    if resample:
        scene = model_grid(scene, contract.TRAIN_PIXEL_SIZE_M)

    values, valid = scene.read_overview()
    if not valid.any():
        raise InputError(f"{os.path.basename(scene.path)} band {scene.band} holds only nodata.")
    limits = preprocess.stretch_limits(values, valid)
    margin = preprocess.MARGIN
    parts = list(blocks(scene.full_window, block))
    with rasters.atomic_output(output, overwrite) as tmp:
        writer = rasters.RasterWriter(
            tmp,
            scene.width,
            scene.height,
            ("stretched", "clahe", "retinex"),
            scene.geotransform,
            scene.crs_wkt,
        )
        writer.ds.SetMetadata(
            {contract.PREPROCESSED_KEY: contract.PREPROCESS_VERSION, **source.tags}
        )
        try:
            for i, core in enumerate(parts):
                if cancelled():
                    raise Cancelled("cancelled by the user")
                outer = expand(core, margin, scene)
                values, valid = scene.read(outer)
                x = preprocess.model_input(values, valid, limits)
                writer.write(core, x[(slice(None), *inner_slices(core, outer))])
                progress((i + 1) / len(parts))
            if cancelled():  # also after the last block: nothing reaches its name
                raise Cancelled("cancelled by the user")
        finally:
            writer.close()
    return scene

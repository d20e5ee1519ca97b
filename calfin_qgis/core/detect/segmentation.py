"""The whole job: scene → probabilities → front lines → layer, as used by QGIS and the CLI."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field

import numpy as np

from .. import contract, schema
from ..contract import FLOWS
from ..errors import Cancelled, InputError
from ..geo import polygons, rasters, reproject
from ..network.infer import IsCancelled, Progress, estimate_flow, flow_turns, predict_scene
from ..network.model import Model
from ..products import sources
from ..products.scene_identity import SOURCE_KEY, scene_metadata, scene_tags
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
    flip: bool = default("flip")
    """Also predict each tile mirrored and average (more accurate, twice the inference)."""
    resample: bool = default("resample")
    """Average much finer scenes to the model's pixel size first (``model_grid``)."""


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
    warnings += [warning] if warning else []

    flow = options.flow
    auto_flow = (
        flow is None
        and window.width * window.height <= contract.AUTO_FLOW_LIMIT
        and len(model.info.outputs) > 1
    )
    share = 0.5 if auto_flow else 1.0  # of the progress bar per pass: maybe a second one

    def predict(turns: int, start: float) -> np.ndarray:
        probs = np.empty((len(model.info.outputs), window.height, window.width), np.float32)

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
            flip=options.flip,
            progress=lambda fraction: progress(start + share * fraction),
            cancelled=cancelled,
            timer=timer,
        )
        return probs

    probs = predict(flow_turns(flow, model.info.flow), 0.0)
    if auto_flow:
        flow = estimate_flow(probs[0], probs[1])
        turns = flow_turns(flow, model.info.flow)
        if turns and not cancelled():
            probs = predict(turns, share)
        progress(1.0)
    if cancelled():
        raise Cancelled("cancelled by the user")
    checkable = len(probs) > 1 and window.width * window.height <= contract.AUTO_FLOW_LIMIT
    if flow is not None and not auto_flow and checkable:
        warnings.append(flow_warning(flow, probs))
    warnings = [warning for warning in warnings if warning]
    mask = None
    if geometry is not None:
        mask = polygons.polygon_mask(geometry, window, scene.geotransform)
    if len(probs) > 1:
        doubts += filter(None, [sanity.mask_warning(probs[1], mask)])
    seconds = time.perf_counter() - start
    return SegmentResult(
        scene, window, probs, mask, seconds, timer, flow, warnings + doubts, suspect=bool(doubts)
    )


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


def write_probabilities(path: str, result: SegmentResult, info, overwrite: bool) -> None:
    """The probability raster on the processed window's grid, NaN on nodata.

    It remembers its scene (``scene_tags``) and the model, so that fronts extracted from
    it later get the scene's image_id, date and metadata and the model as source.
    """
    rasters.write_raster(
        path,
        result.probs,
        result.geotransform,
        result.scene.crs_wkt,
        info.outputs,
        nodata=float("nan"),
        overwrite=overwrite,
        metadata={**scene_tags(result.scene), SOURCE_KEY: info.source},
    )


def front_records(
    fronts: list[Front],
    scene: rasters.Scene,
    source: str,
    glacier_id: str = "",
    metadata: sources.SceneMetadata | None = None,
    suspect: bool = False,
) -> list[dict]:
    """Attach the CALFIN attributes (``schema.FRONT_FIELDS``) to extracted fronts.

    ``metadata``: the scene's (``sources.open_source``); None: ``scene_metadata(scene)``,
    which for a plain raster is what its file name says, as before products were read.
    ``suspect`` fronts (``SegmentResult.suspect``) are low confidence whatever their edge
    probability.
    """
    metres = scene.units_are_metres
    metadata = metadata or scene_metadata(scene)
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
        }
        for front in fronts
    ]


def preprocess_scene(
    scene: rasters.Scene,
    output: str,
    block: int = 2048,
    progress: Progress = lambda f: None,
    cancelled: IsCancelled = lambda: False,
    overwrite: bool = False,
    resample: bool = True,
) -> rasters.Scene:
    """Write the network's 3-channel input for a whole scene, block by block (on the
    model's grid, ``model_grid``, unless ``resample`` is False); return the scene written."""
    from ..network import preprocess
    from ..network.infer import blocks, expand, inner_slices

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
            {contract.PREPROCESSED_KEY: contract.PREPROCESS_VERSION, **scene_tags(scene)}
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

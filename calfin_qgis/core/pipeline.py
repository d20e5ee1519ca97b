"""The whole job: scene → probabilities → front lines → layer, as used by QGIS and the CLI."""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from dataclasses import dataclass, field

import numpy as np

from . import contract, io, products, reproject, sanity, schema
from .errors import Cancelled, InputError
from .extract import Front, extract_fronts, front_regions, fronts_in_mask, side_contrast
from .infer import FLOWS, IsCancelled, Progress, estimate_flow, flow_turns, predict_scene
from .model import Model
from .timing import StageTimer

LOG = logging.getLogger(__name__)

WINDOW_STATS_LIMIT = 16_000_000
"""Windows up to this many pixels get stretch limits from a full read, larger from an overview."""

EXTRACT_WHOLE_LIMIT = 16_000_000
"""Windows up to this many pixels are extracted at once (about 22 bytes a pixel); larger ones
(a full Landsat scene) one region above the threshold at a time, in bounded memory."""


@dataclass(frozen=True)
class DetectOptions:
    """How to detect: plain values only, so that a job carrying them can go to a worker."""

    band: int | None = None
    """None: a product's band from the sensor table (``products.open_source``), a raster's 1."""
    clip: object | None = None
    """Search area: a vector file path, WKB bytes in ``clip_crs_wkt``, or a shapely geometry
    in the scene's CRS."""
    clip_crs_wkt: str = ""
    """The CRS of a WKB ``clip`` ('' = the scene's)."""
    flow: str | float | None = None
    glacier_id: str = ""
    threshold: float = contract.EDGE_THRESHOLD
    low_threshold: float | None = contract.EDGE_LOW_THRESHOLD
    """Hysteresis (``extract.front_regions``); None or 0 for the plain threshold."""
    min_length_px: float = 10.0
    simplify_px: float = 1.0
    max_fronts: int | None = None
    min_contrast: float = 0.5
    """Pieces besides the longest are kept when they separate ice from ocean this well."""
    tile: int | None = None
    overlap: int = 64
    batch_size: int = 4
    block: int = 2048
    flip: bool = True
    """Also predict each tile mirrored and average (more accurate, twice the inference)."""
    resample: bool = True
    """Average much finer scenes to the model's pixel size first (``model_grid``)."""


@dataclass
class SegmentResult:
    scene: io.Scene
    window: io.Window
    probs: np.ndarray
    search_mask: np.ndarray | None
    seconds: float
    timer: StageTimer = field(default_factory=StageTimer)
    flow: str | float | None = None
    """The ice flow direction used: given, estimated (an azimuth) or None (not turned)."""
    warnings: list[str] = field(default_factory=list)
    """What the user should know about the result (a constant band, a flow direction the
    prediction contradicts, no date and no glacier id...)."""
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
    def geotransform(self) -> io.GeoTransform:
        return self.window.geotransform(self.scene.geotransform)


def resolve_clip(options: DetectOptions, scene: io.Scene):
    """The clip polygon as a shapely geometry in the scene's CRS (reprojected if needed)."""
    clip = options.clip
    if clip is None or clip == "":
        return None
    if isinstance(clip, str | os.PathLike):
        return io.read_polygons(clip, scene.crs_wkt)
    if isinstance(clip, bytes):
        from shapely import wkb

        transform = reproject.transformation(options.clip_crs_wkt, scene.crs_wkt)
        clip = wkb.loads(reproject.transformed(clip, transform))
    return io.search_area(clip)


def _rotated(scene: io.Scene) -> bool:
    return scene.geotransform[2] != 0 or scene.geotransform[4] != 0


def _finest_edge(scene: io.Scene) -> float:
    """The shorter pixel edge in map units (a 40 x 10 m pixel is as fine as 10 m)."""
    return min(scene.pixel_edges)


def model_grid(scene: io.Scene, pixel_size_m: float) -> io.Scene:
    """The scene averaged to the model's training pixel size when its pixels are much finer.

    The network learnt fronts at 30-50 m; on a 15 m panchromatic band they are two to
    three times wider than anything it saw, and it misses many (see the model card).
    Scenes without a metric CRS, rotated grids (``resolution_warning`` says so) and
    ``calfin:preprocess`` output (already on its grid) are kept as they are.
    """
    if (
        scene.preprocessed
        or not scene.units_are_metres
        or _rotated(scene)
        or _finest_edge(scene) >= contract.FINE_PIXEL_FRACTION * pixel_size_m
    ):
        return scene
    return io.resampled(scene, pixel_size_m, scene_tags(scene))


def resolution_warning(scene: io.Scene, pixel_size_m: float) -> str | None:
    """What to do when the scene's pixels are not what the network learnt and the pipeline
    cannot average them itself (geographic CRS, rotated grid), or None."""
    if scene.preprocessed or not scene.crs_wkt:
        return None
    warp = f"gdalwarp -t_srs <projected CRS> -tr {pixel_size_m:g} {pixel_size_m:g} -r average"
    if not scene.units_are_metres:
        return (
            "The scene's CRS is not projected in metres: the network learnt fronts on square "
            f"pixels of about {pixel_size_m:g} m, and lengths need metres. Warp the scene first "
            f"({warp} in.tif out.tif, e.g. EPSG:3413 in Greenland)."
        )
    if _rotated(scene) and _finest_edge(scene) < contract.FINE_PIXEL_FRACTION * pixel_size_m:
        return (
            f"The scene's grid is rotated, so its {_finest_edge(scene):g} m pixels are not "
            f"averaged to the network's {pixel_size_m:g} m: warp it north-up first "
            f"({warp} in.tif out.tif)."
        )
    return None


def scene_warnings(scene: io.Scene, pixel_size_m: float, resample: bool) -> list[str]:
    """What the user should know about a scene before its long run (CLI and algorithms);
    ``pixel_size_m`` is the model's, ``resample`` whether fine scenes are averaged to it."""
    warnings = [io.georeference_warning(scene)]
    if resample:
        warnings.append(resolution_warning(scene, pixel_size_m))
    return [warning for warning in warnings if warning]


def averaging_text(before: io.Scene, after: io.Scene) -> str | None:
    """A line for the log when the pipeline averaged the scene to the model's grid."""
    if before.geotransform == after.geotransform:
        return None
    return (
        f"Scene pixels averaged from {io.pixel_text(before)} to {io.pixel_text(after)}, the "
        "model's training scale; the outputs are on that grid (RESAMPLE)."
    )


def window_limits(
    scene: io.Scene, window: io.Window, timer: StageTimer
) -> tuple[tuple[float, float], str | None]:
    """The band's stretch limits over the window to process (from an overview if large), and
    a warning when the band holds a single value there (an alpha band, an empty channel)."""
    from .preprocess import stretch_limits

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
    scene: io.Scene,
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
    geometry = resolve_clip(options, scene)
    tile = options.tile or model.info.tile_size
    window = (
        io.polygon_window(geometry, scene, margin=tile // 2)
        if geometry is not None
        else scene.full_window
    )
    limits, warning = (None, None) if scene.preprocessed else window_limits(scene, window, timer)
    warnings = [warning] if warning else []

    flow = options.flow
    auto_flow = (
        flow is None
        and window.width * window.height <= contract.AUTO_FLOW_LIMIT
        and len(model.info.outputs) > 1
    )
    share = 0.5 if auto_flow else 1.0  # of the progress bar per pass: maybe a second one

    def predict(turns: int, start: float) -> np.ndarray:
        probs = np.empty((len(model.info.outputs), window.height, window.width), np.float32)

        def write(block: io.Window, data: np.ndarray) -> None:
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
    warnings.append(identity_warning(scene, options.glacier_id))
    warnings = [warning for warning in warnings if warning]
    mask = None
    if geometry is not None:
        mask = io.polygon_mask(geometry, window, scene.geotransform)
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


def identity_warning(scene: io.Scene, glacier_id: str) -> str | None:
    """A warning when the fronts will carry neither a date nor a glacier id, or None."""
    if glacier_id or scene_metadata(scene).date:
        return None
    return (
        f"No acquisition date for {scene_name(scene)} (not in its name, no product metadata) "
        "and no glacier id: its fronts cannot be placed in a time series or sorted for "
        "review. Give the glacier id (GLACIER_ID, --glacier-id), or load the band file "
        "inside its product (next to its MTL, inside its .SAFE), or keep the product name "
        "in the file name (e.g. LC08_L1TP_009011_20190714_20200827_02_T1_B8.TIF)."
    )


SCENE_KEY = "CALFIN_SCENE"
SOURCE_KEY = "CALFIN_SOURCE"
METADATA_KEY = "CALFIN_SCENE_METADATA"
"""calfin's own rasters (probabilities, preprocess output, the averaged scene) carry their
scene's file name and metadata (``products.SceneMetadata`` as JSON) under these keys."""


def scene_name(scene: io.Scene) -> str:
    """The original scene's file name: recorded in calfin's own outputs, else the file's."""
    return io.read_metadata(scene.path).get(SCENE_KEY) or os.path.basename(scene.path)


def scene_metadata(scene: io.Scene) -> products.SceneMetadata:
    """The original scene's product id, date, sensor, path/row and cloud cover: recorded in
    calfin's own rasters, else from the product the file lies in or its file name
    (``products.scene_metadata``); older calfin rasters give their scene's file name's."""
    tags = io.read_metadata(scene.path)
    if METADATA_KEY in tags:
        return products.SceneMetadata.from_json(tags[METADATA_KEY])
    if SCENE_KEY in tags:
        return products.name_metadata(tags[SCENE_KEY])
    return products.scene_metadata(scene.path)


def scene_tags(scene: io.Scene) -> dict[str, str]:
    """The raster metadata items by which calfin's outputs remember ``scene``."""
    return {SCENE_KEY: scene_name(scene), METADATA_KEY: scene_metadata(scene).to_json()}


def write_probabilities(path: str, result: SegmentResult, info, overwrite: bool) -> None:
    """The probability raster on the processed window's grid, NaN on nodata.

    It remembers its scene (``scene_tags``) and the model, so that fronts extracted from
    it later get the scene's image_id, date and metadata and the model as source.
    """
    io.write_raster(
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
    scene: io.Scene,
    source: str,
    glacier_id: str = "",
    metadata: products.SceneMetadata | None = None,
    suspect: bool = False,
) -> list[dict]:
    """Attach the CALFIN attributes (``schema.FRONT_FIELDS``) to extracted fronts.

    ``metadata``: the scene's (``products.open_source``); None: ``scene_metadata(scene)``,
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
        }
        for front in fronts
    ]


def extract(result: SegmentResult, options: DetectOptions, timer: StageTimer) -> list[Front]:
    """The fronts of a segmentation: every piece, then ``select_fronts``."""
    edge = result.probs[0]
    with timer.stage("extract"):
        if edge.size > EXTRACT_WHOLE_LIMIT:
            pieces = extract_by_region(
                edge, result.geotransform, options, search_mask=result.search_mask
            )
        else:
            pieces = extract_fronts(
                np.nan_to_num(edge, nan=0.0),
                result.geotransform,
                threshold=options.threshold,
                low_threshold=options.low_threshold,
                search_mask=result.search_mask,
                min_length_px=options.min_length_px,
                simplify_px=options.simplify_px,
            )
        ice = result.probs[1] if len(result.probs) > 1 else None
        return select_fronts(pieces, ice, options)


def select_fronts(pieces: list[Front], ice: np.ndarray | None, options: DetectOptions):
    """The longest piece, plus the others that separate ice from ocean (``side_contrast``).

    A front is often found in several pieces; shorter traces along fjord walls or inside the
    mélange have ice (or no ice) on both sides. Chosen on the held-out validation glacier:
    keeping the pieces with contrast >= 0.5 lowered its mean error from 8.8 to 7.2 px.
    Without the ice channel only the longest piece is kept.
    """
    if not pieces:
        return []
    kept = [pieces[0]]
    if ice is not None:
        kept += [p for p in pieces[1:] if side_contrast(p.pixels, ice) >= options.min_contrast]
    return kept[: options.max_fronts]


def _path_length(pixels: np.ndarray) -> float:
    return float(np.hypot(*np.diff(pixels, axis=0).T).sum()) if len(pixels) > 1 else 0.0


def extract_by_region(
    edge: np.ndarray,
    geotransform: io.GeoTransform,
    options: DetectOptions,
    search_mask: np.ndarray | None = None,
) -> list[Front]:
    """``fronts_in_mask`` run on each 8-connected region of ``front_mask`` in turn.

    Regions are independent for skeletonization, so memory follows the largest region rather
    than the window: on a full 8,000 x 8,000 scene the whole-array way needed about 1.5 GB on
    top of the probabilities (a float copy and an integer pixel index of the scene's size). The
    fronts are the same except where a region's skeleton has loops: the spanning tree breaks
    ties by pixel numbering, which changes when other regions are left out.
    """
    from scipy import ndimage

    labels, keep = front_regions(edge, options.threshold, options.low_threshold, search_mask)
    boxes = []
    for label, found in enumerate(ndimage.find_objects(labels), start=1):
        if found is not None and keep[label]:
            rows = slice(max(0, found[0].start - 1), min(edge.shape[0], found[0].stop + 1))
            cols = slice(max(0, found[1].start - 1), min(edge.shape[1], found[1].stop + 1))
            boxes.append((label, rows, cols))
    # the largest box last, with the scene-size label array already freed
    boxes.sort(key=lambda box: (box[1].stop - box[1].start) * (box[2].stop - box[2].start))
    fronts: list[Front] = []
    for i, (label, rows, cols) in enumerate(boxes):
        own = labels[rows, cols] == label
        if i == len(boxes) - 1:
            del labels
        # a path of length L visits at least L / sqrt(2) + 1 pixels
        if (own.sum() - 1) * np.sqrt(2) < options.min_length_px - 1e-9:
            continue
        offset = np.array([rows.start, cols.start], dtype=np.float64)
        for front in fronts_in_mask(
            own,
            edge[rows, cols],
            io.Window(cols.start, rows.start, 0, 0).geotransform(geotransform),
            options.min_length_px,
            options.simplify_px,
        ):
            fronts.append(dataclasses.replace(front, pixels=front.pixels + offset))
    fronts.sort(key=lambda front: -_path_length(front.pixels))
    return fronts


def check_edge_band(scene: io.Scene) -> None:
    """Refuse the rasters that look like probabilities but are not the front edge."""
    name = os.path.basename(scene.path)
    if scene.preprocessed:
        raise InputError(
            f"{name} is calfin:preprocess output (the network's input), not probabilities. "
            "Run calfin:segment on it and extract the fronts from that output."
        )
    if io.band_description(scene) == "mask":
        raise InputError(
            f"Band {scene.band} of {name} is the ice/ocean mask. The fronts come from the "
            "front-edge probability: choose band 1."
        )


def extract_from_raster(
    path: str, band: int, options: DetectOptions, timer: StageTimer | None = None
) -> tuple[io.Scene, list[Front]]:
    """Front lines from a probability raster written by ``segment`` (edge in ``band``)."""
    timer = timer or StageTimer()
    scene = io.open_scene(path, band)
    check_edge_band(scene)
    geometry = resolve_clip(options, scene)
    window = io.polygon_window(geometry, scene, 0) if geometry is not None else scene.full_window
    with timer.stage("read"):
        values, valid = scene.read(window)
    edge = np.where(valid, values.astype(np.float32), 0.0)
    if np.nanmax(edge, initial=0.0) > 1.0 or np.nanmin(edge, initial=0.0) < 0.0:
        raise InputError(
            f"Band {band} of {os.path.basename(path)} is not a probability (values outside "
            "0-1). Use the output of calfin:segment, edge band 1."
        )
    probs = edge[None]
    if band == 1:  # calfin:segment's layout: edge in band 1, ice in band 2
        try:
            ice, _ = io.open_scene(path, 2).read(window)
            probs = np.stack([edge, ice.astype(np.float32)])
        except InputError:
            pass
    mask = io.polygon_mask(geometry, window, scene.geotransform) if geometry is not None else None
    result = SegmentResult(scene, window, probs, mask, 0.0, timer)
    return scene, extract(result, options, timer)


def preprocess_scene(
    scene: io.Scene,
    output: str,
    block: int = 2048,
    progress: Progress = lambda f: None,
    cancelled: IsCancelled = lambda: False,
    overwrite: bool = False,
    resample: bool = True,
) -> io.Scene:
    """Write the network's 3-channel input for a whole scene, block by block (on the
    model's grid, ``model_grid``, unless ``resample`` is False); return the scene written."""
    from . import preprocess
    from .infer import blocks, expand, inner_slices

    if resample:
        scene = model_grid(scene, contract.TRAIN_PIXEL_SIZE_M)

    values, valid = scene.read_overview()
    if not valid.any():
        raise InputError(f"{os.path.basename(scene.path)} band {scene.band} holds only nodata.")
    limits = preprocess.stretch_limits(values, valid)
    margin = preprocess.MARGIN
    parts = list(blocks(scene.full_window, block))
    with io.atomic_output(output, overwrite) as tmp:
        writer = io.RasterWriter(
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

"""One detection job as plain values, and the one call that runs it.

``calfin:detect_fronts``, ``calfin:segment``, the CLI and the batch (in this process or in a
worker) all build a ``DetectJob`` and call ``run``: resolve the scene (once: its identity
travels with the job and its result), warn about it, average it to the model's grid,
segment, extract, attach the attributes and reproject the fronts. A job holds only
picklable values (paths, WKB, numbers, the resolved ``SceneSource``), so any executor can
ship it.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import InputError
from ..geo import reproject
from ..geo.rasters import write_raster
from ..network.infer import IsCancelled, Progress
from ..network.model import Model, ModelInfo, default_model_path, load_model
from ..products import sources
from ..products.scene_identity import SOURCE_KEY
from .grid import averaging_text, scene_warnings
from .picking import extract
from .segmentation import DetectOptions, SegmentResult, front_records, identity_warning, segment

Log = Callable[[str, str], None]
"""Receives ("info" | "warning", text) as the job goes, for a log the user reads live."""


@dataclass(frozen=True)
class DetectJob:
    scene: str
    """A raster or a product (``sources.open_source``): a file path or a GDAL /vsi path
    every worker can see."""
    options: DetectOptions = DetectOptions()
    """Band, clip polygon (a file path or WKB with its CRS), flow, glacier id and settings."""
    out_crs_wkt: str = ""
    """The CRS of the returned fronts ('' = the scene's)."""
    model: str | None = None
    """An ONNX model file; None = the bundled one."""
    device: str = "auto"
    threads: int | None = None
    """onnxruntime threads (None = all cores): N workers on one machine each take a share."""
    extract: bool = True
    """False: segment only (``calfin:segment``), no fronts."""
    keep_segmentation: bool = False
    """Return the probabilities (``JobResult.segmentation``) to write them; not picklable."""
    source: sources.SceneSource | None = None
    """``scene`` already resolved (the batch's plan has it); None: ``run`` resolves it."""


@dataclass
class JobResult:
    records: list[dict]
    """The fronts: ``geometry`` as WKB in ``crs_wkt``, plus the ``schema.FRONT_FIELDS``."""
    crs_wkt: str
    log: list[tuple[str, str]]
    """("info" | "warning", text) in the order they arose."""
    flow: str | float | None
    """The ice flow direction used: given, estimated (an azimuth) or None (not turned)."""
    seconds: float
    model_info: ModelInfo
    source: sources.SceneSource
    """The scene as resolved: its band, product id, date, sensor, path/row."""
    segmentation: SegmentResult | None = field(default=None, repr=False)

    @property
    def status(self) -> str:
        return "ok" if self.records else "no front"

    @property
    def warnings(self) -> list[str]:
        return [text for kind, text in self.log if kind == "warning"]


@functools.lru_cache(maxsize=2)
def _loaded(path: str | None, device: str, threads: int | None, bundled: str):
    model, messages = load_model(path, device, threads)
    return model, tuple(messages)


def cached_model(
    path: str | None = None, device: str = "auto", threads: int | None = None
) -> tuple[Model, tuple[str, ...]]:
    """The model and its load messages, loaded once per process (a worker runs many jobs).

    The bundled model's current path ($CALFIN_MODEL may change it) is part of the key.
    """
    return _loaded(path, device, threads, "" if path else str(default_model_path()))


cached_model.cache_clear = _loaded.cache_clear


def run(
    job: DetectJob,
    progress: Progress = lambda f: None,
    cancelled: IsCancelled = lambda: False,
    log: Log | None = None,
) -> JobResult:
    """Detect the fronts of one job; InputError or Cancelled when it cannot finish."""
    start = time.perf_counter()
    lines: list[tuple[str, str]] = []

    def note(kind: str, text: str | None) -> None:
        if text:
            lines.append((kind, text))
            if log is not None:
                log(kind, text)

    model, messages = cached_model(job.model, job.device, job.threads)
    for message in messages:
        note("info" if message.startswith("Model ") else "warning", message)
    options = job.options
    source = job.source or sources.open_source(job.scene, options.band)
    scene, metadata = source.scene, source.metadata
    note("info", f"{metadata.summary}; reading {source.path}: {source.note}")
    if job.out_crs_wkt and not scene.crs_wkt:
        raise InputError(
            f"{scene.path} has no CRS, so its fronts cannot be placed in the output CRS. "
            "Assign the scene's CRS (gdal_edit.py -a_srs EPSG:<code>) and run again."
        )
    for warning in scene_warnings(scene, model.info.pixel_size_m, options.resample):
        note("warning", warning)
    result = segment(model, scene, options, progress, cancelled)
    note("info", averaging_text(scene, result.scene))
    for warning in result.warnings:
        note("warning", warning)
    note("warning", identity_warning(metadata, source.name, options.glacier_id))
    note("info", f"Inference took {result.seconds:.1f} s on {model.provider}")
    note("info", result.flow_text.capitalize())
    records = []
    if job.extract:
        fronts = extract(result, options, result.timer)
        records = front_records(
            fronts, scene, metadata, model.info.source, options.glacier_id, result.suspect
        )
        transform = reproject.transformation(scene.crs_wkt, job.out_crs_wkt)
        for record in records:
            record["geometry"] = reproject.transformed(record["geometry"].wkb, transform)
    return JobResult(
        records=records,
        crs_wkt=job.out_crs_wkt or scene.crs_wkt,
        log=lines,
        flow=result.flow,
        seconds=time.perf_counter() - start,
        model_info=model.info,
        source=source,
        segmentation=result if job.keep_segmentation else None,
    )


def write_probabilities(path: str, result: JobResult, overwrite: bool = False) -> None:
    """A job's probability raster (``keep_segmentation``) on the processed window's grid,
    NaN on nodata.

    It remembers its scene (``SceneSource.tags``) and the model, so that fronts extracted
    from it later get the scene's image_id, date and metadata and the model as source.
    """
    segmentation, info = result.segmentation, result.model_info
    write_raster(
        path,
        segmentation.probs,
        segmentation.geotransform,
        segmentation.scene.crs_wkt,
        info.outputs,
        nodata=float("nan"),
        overwrite=overwrite,
        metadata={**result.source.tags, SOURCE_KEY: info.source},
    )

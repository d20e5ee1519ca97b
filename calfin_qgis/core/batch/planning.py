"""Which scene × glacier pairs a batch runs (``runner.run_batch``): every scene is paired
with every glacier polygon its footprint overlaps (from the grid alone, no pixels read);
filters on date, sensor and cloud cover skip scenes by their metadata. Each pair is one
``BatchJob``, or a status row that says why it is not run."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from osgeo import gdal

from ..detect.jobs import DetectJob, Log
from ..errors import InputError
from ..geo import rasters, reproject
from ..products import sources
from .glaciers import Glacier


@dataclass(frozen=True)
class Filters:
    start: datetime.date | None = None
    end: datetime.date | None = None
    sensors: frozenset[str] = frozenset()
    """Sensor codes to keep (e.g. LC08, LE07); empty: all."""
    max_cloud: float | None = None


@dataclass(frozen=True)
class Batch:
    """What a batch pairs: its scenes × glacier polygons (in ``glaciers_crs``), the
    filters that skip scenes, and the settings every job shares (``template``)."""

    scene_paths: list[str]
    glaciers: list[Glacier]
    glaciers_crs: str
    filters: Filters
    template: DetectJob


@dataclass(frozen=True)
class BatchJob:
    """One scene × glacier: the detection job, its scene resolved once by ``plan``
    (``DetectJob.source``), plus what its status row needs."""

    source: str
    detect: DetectJob

    @property
    def image_id(self) -> str:
        return self.detect.source.metadata.image_id

    @property
    def glacier_id(self) -> str:
        return self.detect.options.glacier_id


def skip_reason(metadata: sources.SceneMetadata, filters: Filters) -> str | None:
    """Why the scene's metadata leaves it out, or None."""
    if filters.start or filters.end:
        date = metadata.date
        if (
            date is None
            or (filters.start and date < filters.start)
            or (filters.end and date > filters.end)
        ):
            return "skipped: outside dates"
    if filters.sensors and metadata.sensor not in filters.sensors:
        return "skipped: other sensor"
    cloud = metadata.cloud_cover
    if filters.max_cloud is not None and cloud is not None and cloud > filters.max_cloud:
        return "skipped: too cloudy"
    return None


def footprint(scene: rasters.Scene, crs_wkt: str):
    """The scene's grid outline (densified) as a shapely polygon in ``crs_wkt``."""
    from shapely import wkb
    from shapely.geometry import Polygon

    if not scene.crs_wkt:
        raise InputError(
            f"{Path(scene.path).name} has no CRS, so it cannot be placed against the glacier "
            "polygons. Assign its CRS (gdal_edit.py -a_srs EPSG:<code>) or leave it out."
        )
    gt, w, h = scene.geotransform, scene.width, scene.height
    corners = [(0, 0), (w, 0), (w, h), (0, h)]
    outline = Polygon([gdal.ApplyGeoTransform(gt, col, row) for col, row in corners])
    outline = outline.segmentize(max(outline.length / 64, 1e-9))
    transform = reproject.transformation(scene.crs_wkt, crs_wkt)
    return wkb.loads(reproject.transformed(outline.wkb, transform))


def plan(
    batch: Batch, done: set[tuple[str, str]], say: Log = lambda kind, text: None
) -> Iterator[tuple[list[dict], list[BatchJob]]]:
    """Per scene: status rows of the pairs it skips (or fails before any job) and a job for
    every glacier its footprint overlaps; pairs in ``done`` are left out. Each scene is
    resolved here once (metadata, then its band only when a pair needs it), and its jobs
    carry that (``DetectJob.source``). A product found twice (a tar and its extracted
    folder, a .SAFE and its zip: one image id) is planned once, from its first readable
    copy, and ``say`` names the copy left out."""
    from shapely import wkb

    shapes = [wkb.loads(glacier.wkb) for glacier in batch.glaciers]
    copies: dict[str, str] = {}  # image id → the source planned for it
    for source in batch.scene_paths:
        identified = _identify(source, copies, say)
        if identified is None:
            continue
        image_id = identified[1].image_id
        pending = [
            (glacier, shape)
            for glacier, shape in zip(batch.glaciers, shapes, strict=True)
            if (image_id, glacier.glacier_id) not in done
        ]
        if pending:
            yield _scene_pairs(batch, source, identified, pending)


def _identify(source: str, copies: dict[str, str], say: Log):
    """(product, metadata, failure) of a scene (a damaged product: no product, the metadata
    its name gives and the reason); None for another copy of a product already planned."""
    try:
        product = sources.identify(source)
        metadata = product.metadata
    except InputError as err:  # a damaged product's metadata file
        return None, sources.name_metadata(source), f"failed: {err}"
    if metadata.image_id in copies:
        say(
            "warning",
            f"{source} is another copy of {metadata.image_id}, already planned from "
            f"{copies[metadata.image_id]}: left out (each product is detected once).",
        )
        return None
    copies[metadata.image_id] = source
    return product, metadata, None


def _scene_pairs(
    batch: Batch, source: str, identified, pending: list
) -> tuple[list[dict], list[BatchJob]]:
    """The status rows and jobs of one scene's ``pending`` (glacier, polygon) pairs."""
    product, metadata, failure = identified
    reason = failure or skip_reason(metadata, batch.filters)
    if reason is None:
        try:
            resolved = sources.open_band(product, batch.template.options.band)
            outline = footprint(resolved.scene, batch.glaciers_crs)
        except InputError as err:
            reason = f"failed: {err}"
    rows, jobs = [], []
    for glacier, shape in pending:
        if reason or not outline.intersects(shape):
            rows.append(status_row(source, metadata.image_id, glacier.glacier_id, reason))
            continue
        options = dataclasses.replace(
            batch.template.options,
            clip=glacier.wkb,
            clip_crs_wkt=batch.glaciers_crs,
            flow=glacier.flow or batch.template.options.flow,
            glacier_id=glacier.glacier_id,
        )
        detect = dataclasses.replace(batch.template, scene=source, source=resolved, options=options)
        jobs.append(BatchJob(source, detect))
    return rows, jobs


def status_row(
    source: str, image_id: str, glacier_id: str, status: str | None, fronts=0, seconds=0.0
) -> dict:
    return {
        "image_id": image_id,
        "glacier_id": glacier_id,
        "source": source,
        "status": status or "skipped: no overlap",
        "fronts": fronts,
        "seconds": round(seconds, 2),
    }

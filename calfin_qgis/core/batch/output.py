"""The batch's outputs: fronts and a status table in one GeoPackage, appended job by job.

Each finished job's fronts and its status row go in one OGR transaction, so a killed run
keeps every job it finished and nothing half-written; a rerun reads the status table to
skip what is done (resume). The status table can be exported as CSV.
"""

from __future__ import annotations

import contextlib
import csv
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from osgeo import ogr

from .. import schema
from ..errors import InputError
from ..geo import rasters, reproject, vectors

FRONTS_LAYER = "fronts"
STATUS_LAYER = "status"
DONE = ("ok", "no front", "skipped: no overlap")
"""Final statuses: a rerun skips these scene × glacier pairs and redoes the rest (failures,
and skips by date, sensor or cloud, whose filters may have changed)."""


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _key_filter(image_id: str, glacier_id: str) -> str:
    return f"image_id = {_sql_text(image_id)} AND glacier_id = {_sql_text(glacier_id)}"


class BatchOutput:
    """The open output GeoPackage; created (atomically) when it does not exist yet."""

    def __init__(self, path: str | os.PathLike, crs_wkt: str) -> None:
        self.path = str(path)
        if not Path(self.path).exists():
            _create(self.path, crs_wkt)
        self.ds = _open(self.path, crs_wkt)
        self.fronts = self.ds.GetLayerByName(FRONTS_LAYER)
        self.status = self.ds.GetLayerByName(STATUS_LAYER)

    def done(self) -> set[tuple[str, str]]:
        """(image_id, glacier_id) of the jobs a previous run finished."""
        self.status.SetAttributeFilter(f"status IN ({', '.join(map(_sql_text, DONE))})")
        try:
            return {(f["image_id"], f["glacier_id"]) for f in self.status}
        finally:
            self.status.SetAttributeFilter(None)

    def add(self, rows: list[dict], records: list[dict]) -> None:
        """Commit status rows and fronts in one transaction (one job, or one scene's
        skipped pairs), replacing earlier rows and fronts of the same scene × glacier (a
        failure or a skip that is now redone): one (image_id, glacier_id) is never held twice."""
        self.ds.StartTransaction()
        try:
            for row in rows:
                key = _key_filter(row["image_id"], row["glacier_id"])
                for layer in (self.status, self.fronts):
                    layer.SetAttributeFilter(key)
                    old = [feature.GetFID() for feature in layer]
                    layer.SetAttributeFilter(None)
                    for fid in old:
                        layer.DeleteFeature(fid)
                vectors.add_feature(self.status, schema.STATUS_FIELDS, row)
            for record in records:
                vectors.add_feature(self.fronts, schema.FRONT_FIELDS, record)
        except BaseException:
            with contextlib.suppress(RuntimeError):  # a full disk may fail this too
                self.ds.RollbackTransaction()
            raise
        self.ds.CommitTransaction()

    def status_rows(self) -> Iterator[dict]:
        """The status table, in the order written (earlier runs' rows too)."""
        self.status.ResetReading()
        for feature in self.status:
            yield {name: feature[name] for name, _ in schema.STATUS_FIELDS}

    def close(self) -> None:
        self.ds = self.fronts = self.status = None


def _create(path: str, crs_wkt: str) -> None:
    """An empty fronts layer and status table, moved into place only when complete."""
    vectors.check_vector_name(path)
    if Path(path).suffix.lower() != ".gpkg":
        raise InputError(
            f"{Path(path).name}: the batch appends to a GeoPackage. Name the output .gpkg."
        )
    with rasters.atomic_output(path) as tmp:
        ds = ogr.GetDriverByName("GPKG").CreateDataSource(tmp)
        srs = reproject.spatial_reference(crs_wkt) if crs_wkt else None
        vectors.create_layer(ds, FRONTS_LAYER, schema.FRONT_FIELDS, srs, ogr.wkbLineString)
        vectors.create_layer(ds, STATUS_LAYER, schema.STATUS_FIELDS, None, ogr.wkbNone)
        ds.ExecuteSQL(f"CREATE INDEX status_key ON {STATUS_LAYER} (image_id, glacier_id)")
        ds = None


def _open(path: str, crs_wkt: str):
    """An existing batch output, checked: never append to a file that is not one."""
    not_ours = (
        f"{path} exists and is not a calfin batch output (layers '{FRONTS_LAYER}' and "
        f"'{STATUS_LAYER}'). Choose a new file name, or the output of an earlier batch run "
        "to resume it."
    )
    if not os.access(path, os.W_OK):
        raise InputError(
            f"{path} is read-only, so the batch cannot add to it. Make it writable (or copy "
            "it to a writable folder and give that copy) and run again to resume it."
        )
    try:
        ds = ogr.Open(path, 1)
    except RuntimeError as err:
        raise InputError(f"{not_ours} ({err})") from err
    fronts = ds.GetLayerByName(FRONTS_LAYER) if ds is not None else None
    status = ds.GetLayerByName(STATUS_LAYER) if ds is not None else None
    if fronts is None or status is None:
        raise InputError(not_ours)
    missing = [name for name, _ in schema.STATUS_FIELDS if status.FindFieldIndex(name, 1) < 0]
    if missing:
        raise InputError(f"{not_ours} (status fields missing: {', '.join(missing)})")
    for name, kind in schema.FRONT_FIELDS:  # an output of an older version: add the new ones
        if fronts.FindFieldIndex(name, 1) < 0:
            fronts.CreateField(vectors.field_definition(name, kind))
    srs = fronts.GetSpatialRef()
    if not reproject.same_crs(srs.ExportToWkt() if srs else "", crs_wkt):
        name = srs.GetName() if srs else "no CRS"
        raise InputError(
            f"{path} holds fronts in {name}, not in the output CRS asked for. Resume with the "
            "same output CRS, or choose a new output file."
        )
    return ds


def status_header() -> list[str]:
    return [name for name, _ in schema.STATUS_FIELDS]


def check_status_csv(path: str | os.PathLike) -> None:
    """The status CSV may replace only an earlier status CSV (a resumed run's), never
    another file; checked before the work."""
    target = rasters.check_destination(path, overwrite=True)
    if target.suffix.lower() != ".csv":
        raise InputError(f"{target.name}: the status table is written as CSV. Name it .csv.")
    if target.exists():
        with open(target, newline="", encoding="utf-8") as file:
            first = next(csv.reader(file), [])
        if first != status_header():
            raise InputError(
                f"{target} exists and is not a calfin status table. Choose another file name."
            )


def read_status(path: str | os.PathLike) -> Iterator[dict]:
    """The status table of a batch output, in the order written (earlier runs' rows too)."""
    ds = ogr.Open(str(path))
    for feature in ds.GetLayerByName(STATUS_LAYER):
        yield {name: feature[name] for name, _ in schema.STATUS_FIELDS}


def write_status_csv(rows: Iterable[dict], path: str | os.PathLike) -> None:
    """Status rows as CSV, written atomically (a kill leaves the previous copy whole)."""
    check_status_csv(path)
    with (
        rasters.atomic_output(path, overwrite=True) as tmp,
        open(tmp, "w", newline="", encoding="utf-8") as file,
    ):
        writer = csv.DictWriter(file, status_header())
        writer.writeheader()
        writer.writerows(rows)


class StatusExport:
    """The status CSV kept up to date as the run goes, so that a killed run leaves one:
    rewritten whole (atomically) at most every ``interval`` seconds, and at least ten times
    as long as the last rewrite took (a table of 100,000 rows is not rewritten per job)."""

    def __init__(self, out: BatchOutput, path: str | None, interval: float = 5.0) -> None:
        self.out, self.path, self.interval = out, path, interval
        self.next = 0.0

    def update(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.path and (force or now >= self.next):
            write_status_csv(self.out.status_rows(), self.path)
            took = time.monotonic() - now
            self.next = time.monotonic() + max(self.interval, 10 * took)

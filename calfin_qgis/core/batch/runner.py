"""Many scenes × glacier polygons → one fronts layer and a status table (``calfin:
detect_fronts_batch`` and ``calfin batch``).

Every scene is paired with every glacier polygon its footprint overlaps, unless filters
skip it (``planning``). Each pair is one ``jobs.DetectJob``; an executor (``executors``: in
this process, local worker processes or a Dask cluster) runs them and yields (job, outcome)
pairs as they finish; this process alone writes the outcomes, one transaction per job
(``batch_output``), so a cancel or a kill keeps every finished job, and a rerun with the
same output resumes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import errno
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..detect.jobs import DetectJob, JobResult, Log, run
from ..errors import InputError
from ..geo import rasters
from ..network.infer import IsCancelled, Progress
from ..products import sources
from .executor_base import Executor, Failed, InProcess, never
from .glaciers import Glacier
from .lock import output_lock
from .output import BatchOutput, StatusExport, check_status_csv
from .planning import Batch, BatchJob, Filters, plan, status_row

Outcome = JobResult | Failed
NO_FILTERS = Filters()


@dataclass
class Summary:
    jobs: int
    """Jobs to run in this call (pairs not finished by an earlier run)."""
    statuses: Counter
    """Rows written in this call, by status (``failed: ...`` counted as ``failed``)."""
    cancelled: bool = False
    fronts: int = 0
    """Fronts written in this call."""
    suspects: int | None = None
    """Fronts of the whole output the closing screening marked (None: not screened)."""

    @property
    def text(self) -> str:
        """'3 ok, 1 failed, 4 skipped' for the log."""
        counts = ", ".join(f"{n} {status}" for status, n in sorted(self.statuses.items()))
        return counts or "nothing new"


def expand_sources(inputs: Iterable[str]) -> Iterator[str]:
    """Each input path (absolute), a folder searched recursively for scenes."""
    for given in inputs:
        if Path(given).is_dir():
            yield from sources.find_sources(os.path.abspath(given))
        elif given.startswith("/vsi"):
            yield given
        elif Path(given).exists():
            yield os.path.abspath(given)
        else:
            raise InputError(f"Scene or folder not found: {given}. Check the path.")


def parse_date(text: str, name: str) -> datetime.date | None:
    """A YYYY-MM-DD date ('' = none); ``name`` is the option, for the message."""
    try:
        return datetime.date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        raise InputError(f"{name}: '{text}' is not a date. Give it as YYYY-MM-DD.") from None


def parse_sensors(text: str) -> frozenset[str]:
    """'LC08, le07' → {'LC08', 'LE07'}."""
    return frozenset(part.strip().upper() for part in text.split(",") if part.strip())


def detect(job: BatchJob, cancelled: IsCancelled = never) -> JobResult:
    """The job function an executor runs (top level, so that it pickles)."""
    return run(job.detect, cancelled=cancelled)


def run_batch(
    inputs: Iterable[str],
    glaciers: list[Glacier],
    glaciers_crs: str,
    output: str,
    template: DetectJob,
    status_csv: str | None = None,
    filters: Filters = NO_FILTERS,
    progress: Progress = lambda f: None,
    cancelled: IsCancelled = lambda: False,
    log: Log | None = None,
    executor: Executor | None = None,
    screen: bool = True,
) -> Summary:
    """Detect the fronts of every scene × glacier (``glaciers.read_glaciers``; polygons in
    ``glaciers_crs``) into ``output`` (appending, resuming) and export the status table to
    ``status_csv``. ``template`` holds the settings of every
    job (options, model, device, threads, out_crs_wkt: '' = the glaciers' CRS). ``executor``
    (``executors.open_executor``, opened by the caller so that a cluster that does not answer
    stops the run before any output is opened) runs the jobs; default: in this process.
    ``screen``: at the end, screen every glacier's fronts in the output (``screening``; the
    glacier polygons are the search areas of the edge rule)."""
    say = log or (lambda kind, text: None)
    template = dataclasses.replace(template, out_crs_wkt=template.out_crs_wkt or glaciers_crs)
    scene_paths = checked_inputs(inputs, output, status_csv)
    with disk_full_says(output), output_lock(output):
        out = BatchOutput(output, template.out_crs_wkt)
        batch = Batch(scene_paths, glaciers, glaciers_crs, filters, template)
        try:
            summary = _run(
                batch,
                out,
                status_csv,
                progress=progress,
                cancelled=cancelled,
                say=say,
                executor=executor or InProcess(),
            )
        finally:
            out.close()
        if screen and not summary.cancelled:
            summary.suspects = screen_output(output, glaciers, glaciers_crs, say)
    return summary


def _run(
    batch: Batch,
    out: BatchOutput,
    status_csv: str | None,
    *,
    progress: Progress,
    cancelled: IsCancelled,
    say: Log,
    executor: Executor,
) -> Summary:
    """``run_batch`` once its output is open (and locked)."""
    statuses: Counter = Counter()
    export = StatusExport(out, status_csv)
    pending: list[BatchJob] = []
    done = out.done()
    for rows, jobs in plan(batch, done, say):
        out.add(rows, [])
        statuses.update(row["status"].split(":")[0] for row in rows)
        for row in rows:
            if row["status"].startswith("failed"):
                say("warning", job_line(row))
        pending += jobs
    export.update(force=True)
    say(
        "info",
        f"{len(batch.scene_paths)} scene(s) × {len(batch.glaciers)} glacier(s): "
        f"{len(pending)} job(s) to run",
    )
    finished = fronts = 0
    progress(0.0)
    executor.log = say  # for this run only: the log may be a QGIS feedback's
    try:
        for job, outcome in executor.map(detect, pending, cancelled):
            row = outcome_row(job, outcome)
            records = outcome.records if isinstance(outcome, JobResult) else []
            out.add([row], records)
            statuses[row["status"].split(":")[0]] += 1
            fronts += len(records)
            finished += 1
            progress(finished / max(len(pending), 1))
            say("warning" if isinstance(outcome, Failed) else "info", job_line(row))
            export.update()
    finally:
        del executor.log  # back to the class's silent default
    export.update(force=True)
    return Summary(len(pending), statuses, finished < len(pending), fronts)


DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


@contextlib.contextmanager
def disk_full_says(output: str) -> Iterator[None]:
    """A full disk (SQLite's 'database or disk is full', ENOSPC on the status CSV) as one
    line that says what is kept and how to go on."""
    try:
        yield
    except (OSError, RuntimeError) as err:
        full = getattr(err, "errno", None) in DISK_FULL or any(
            words in str(err) for words in ("disk is full", "No space left")
        )
        if not full:
            raise
        raise InputError(
            f"The disk is full ({err}). Every job finished so far is kept in {output}: free "
            "some space, then run the same command again to resume."
        ) from err


def screen_output(output: str, glaciers: list[Glacier], glaciers_crs: str, say: Log) -> int | None:
    """Screen the output's fronts where they lie; the notes go to the log. A layer that
    cannot be screened (fronts in degrees) keeps its fronts: a warning says why."""
    from shapely import wkb

    from ..screening.files import screen_in_place
    from ..terminus.inputs import Layer

    areas = Layer({g.glacier_id: wkb.loads(g.wkb) for g in glaciers}, glaciers_crs, "CLIP")
    try:
        screened = screen_in_place(output, areas)
    except InputError as err:
        say("warning", f"screening skipped: {err}")
        return None
    for note in screened.notes:
        say("info", f"screening: {note}")
    say(
        "warning" if screened.suspects else "info",
        f"screening: {screened.suspects} of {len(screened.screens)} front(s) marked in the "
        "field 'screen' (ok, or the rules they fail): review those first",
    )
    return screened.suspects


def checked_inputs(inputs: Iterable[str], output: str, status_csv: str | None) -> list[str]:
    """The scenes of ``inputs`` (``expand_sources``), after checking that there is one and
    that no output is an input scene or an unusable status CSV."""
    scene_paths = list(expand_sources(inputs))
    if not scene_paths:
        raise InputError("No scene found in the inputs. Give scene files or a folder of them.")
    for source in scene_paths:
        if rasters.same_file(source, output) or (
            status_csv and rasters.same_file(source, status_csv)
        ):
            raise InputError(f"{source} is an input scene: choose other output files.")
    if status_csv:
        check_status_csv(status_csv)
    return scene_paths


def outcome_row(job: BatchJob, outcome: Outcome) -> dict:
    if isinstance(outcome, Failed):
        status, fronts = f"failed: {outcome.reason}", 0
    else:
        status, fronts = outcome.status, len(outcome.records)
    return status_row(job.source, job.image_id, job.glacier_id, status, fronts, outcome.seconds)


def job_line(row: dict) -> str:
    return f"{row['image_id']} × {row['glacier_id']}: {row['status']} ({row['seconds']:.1f} s)"

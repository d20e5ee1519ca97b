"""``calfin batch``: many scenes × glacier polygons into one layer,
the same core run (``batch.run_batch``) as ``calfin:detect_fronts_batch``."""

from __future__ import annotations

import argparse
import datetime
import signal
import sys

from ..batch.executors import cpu_count, open_executor
from ..batch.runner import Filters, parse_date, parse_sensors, run_batch
from ..errors import InputError
from .args import add_detection, detection_options, number

RESUME = "the finished jobs are in the output; run the same command again to resume"


def _date(text: str) -> datetime.date | None:
    try:
        return parse_date(text, "date")
    except InputError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def crs_wkt(text: str) -> str:
    """A CRS given as EPSG:code, WKT or PROJ text, as WKT."""
    from osgeo import osr

    srs = osr.SpatialReference()
    try:
        srs.SetFromUserInput(text)
    except RuntimeError as err:
        raise InputError(f"--out-crs {text} is not a CRS ({err}). Give e.g. EPSG:3413.") from err
    return srs.ExportToWkt()


def add_parser(sub) -> None:
    batch = sub.add_parser(
        "batch",
        help="scenes × glacier polygons → one fronts GeoPackage + status table (resumable)",
        description="Every scene (files, and folders searched recursively for plain rasters "
        "and Landsat / Sentinel-2 products) × every glacier polygon its footprint overlaps → "
        "the fronts in one GeoPackage with a status table, one row per scene × glacier. Each "
        "job is committed as it finishes: run the same command again to resume.",
    )
    batch.add_argument(
        "inputs", nargs="+", help="scene files and/or folders (searched recursively)"
    )
    batch.add_argument("--clip", required=True, help="glacier polygons, one per glacier (any CRS)")
    batch.add_argument("--output", required=True, help="fronts GeoPackage (appended, resumed)")
    batch.add_argument("--status", help="also write the status table here (.csv)")
    batch.add_argument(
        "--glacier-field",
        default="glacier_id",
        help="glacier id field of --clip (default glacier_id)",
    )
    batch.add_argument("--flow-field", help="field of --clip with each glacier's flow direction")
    batch.add_argument("--start-date", type=_date, help="first acquisition date (YYYY-MM-DD)")
    batch.add_argument("--end-date", type=_date, help="last acquisition date (YYYY-MM-DD)")
    batch.add_argument(
        "--sensors",
        type=parse_sensors,
        default=frozenset(),
        help="only scenes of these sensors, e.g. LC08,LE07 (default all)",
    )
    batch.add_argument(
        "--max-cloud", type=number(float, 0, 100), help="skip scenes more cloudy than this (%%)"
    )
    batch.add_argument(
        "--out-crs", help="CRS of the fronts, e.g. EPSG:3413 (default the polygons' CRS)"
    )
    batch.add_argument(
        "--workers",
        type=number(int, 1),
        default=cpu_count(),
        help="worker processes, each with its share of the cores (default one per core; 1: "
        "in this process); with --scheduler local, the cluster's",
    )
    batch.add_argument(
        "--scheduler",
        help="run the jobs on a Dask cluster: a scheduler address (tcp://host:8786) or "
        "'local' (a LocalCluster here); needs dask[distributed]",
    )
    batch.add_argument(
        "--no-screen",
        action="store_true",
        help="skip screening the fronts at the end (field 'screen'; see the 'screen' command)",
    )
    add_detection(batch)
    batch.set_defaults(handler=batch_command)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
"""Ctrl-C, and what a cluster scheduler sends when a job reaches its time limit."""


class StopBetweenJobs:
    """Ctrl-C or SIGTERM stops after the jobs in flight are dropped (the workers with them),
    and keeps what is written; a second one stops at once."""

    def __init__(self) -> None:
        self.signal: int | None = None

    def __call__(self, number: int, _frame=None) -> None:
        if self.signal is not None:
            raise KeyboardInterrupt
        self.signal = number
        again = "Ctrl-C" if number == signal.SIGINT else signal.Signals(number).name
        print(
            f"stopping on {signal.Signals(number).name} ({again} again to stop at once)",
            file=sys.stderr,
            flush=True,
        )

    def cancelled(self) -> bool:
        return self.signal is not None


def batch_command(args: argparse.Namespace) -> int:
    from ..batch.glaciers import read_glaciers
    from ..detect.jobs import DetectJob

    template = DetectJob(
        "",
        detection_options(args),
        out_crs_wkt=crs_wkt(args.out_crs) if args.out_crs else "",
        model=args.model or None,
        device=args.device,
    )
    filters = Filters(args.start_date, args.end_date, args.sensors, args.max_cloud)
    glaciers = read_glaciers(args.clip, args.glacier_field, args.flow_field, warn=_warn)
    stop = StopBetweenJobs()
    previous = {number: signal.signal(number, stop) for number in STOP_SIGNALS}
    try:
        # Opened first: a cluster that does not answer stops the run before any output exists.
        with open_executor(args.workers, args.scheduler) as executor:
            print(f"Jobs run on {executor.description}", file=sys.stderr, flush=True)
            summary = run_batch(
                args.inputs,
                *glaciers,
                args.output,
                template,
                status_csv=args.status,
                filters=filters,
                cancelled=stop.cancelled,
                log=lambda kind, text: print(text, file=sys.stderr, flush=True),
                executor=executor,
                screen=not args.no_screen,
            )
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    print(f"{args.output}: {summary.text}")
    if summary.suspects is not None:
        print(f"{summary.suspects} front(s) screened (field 'screen'): review those first")
    if summary.cancelled:
        print(f"cancelled: {RESUME}", file=sys.stderr)
        return 128 + (stop.signal or signal.SIGINT)  # 130 Ctrl-C, 143 SIGTERM
    return 0


def _warn(text: str) -> None:
    print(f"warning: {text}", file=sys.stderr, flush=True)
